package doctor

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText renders the report for people: the counts per source, then
// each list with its total and the entries kept, then the verdict.
func (r *Report) WriteText(out io.Writer) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "Data quality of %d connector(s); numbers read in region %s, national matching %s\n\n", len(r.Sources), r.Region, r.NationalMatch)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tPLUGIN\tCONTACTS\tCOMPANIES\tNUMBERS\tUNREADABLE\tNATIONAL-ONLY\tSHARED\tMISSING")
	for _, s := range r.Sources {
		plugin := strings.TrimSpace(s.Plugin + " " + s.Version)
		if plugin == "" {
			plugin = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", s.Name, plugin, s.Contacts, s.Companies, s.Numbers, s.Unreadable, s.NationalOnly, s.Shared, s.Missing)
	}
	tw.Flush()
	for _, s := range r.Sources {
		if s.Check != "" {
			fmt.Fprintf(w, "  %s: %s\n", s.Name, s.Check)
		}
		if s.Error != "" {
			fmt.Fprintf(w, "  %s: PROBLEM: could not list every record: %s\n", s.Name, s.Error)
		}
	}

	heading(w, "Unreadable numbers", r.Unreadable.Total, r.Unreadable.Problems, "the host cannot read them, so calls from them find nobody")
	for _, u := range r.Unreadable.Items {
		at := u.Record.Key()
		if u.Record.ID == "" {
			at = u.Record.Source + " " + u.Where
		} else {
			at = u.Record.Source + " " + at + nameOf(u.Record)
		}
		fmt.Fprintf(w, "  %s  %s%q: %s\n", at, fieldOf(u.Field), u.Raw, u.Why)
	}
	more(w, len(r.Unreadable.Items), r.Unreadable.Total)

	heading(w, "National-only numbers", r.NationalOnly.Total, r.NationalOnly.Problems, "no country: national matching decides who they meet")
	for _, n := range r.NationalOnly.Items {
		fmt.Fprintf(w, "  %s %s%s  %s%q → national %s: %s\n", n.Record.Source, n.Record.Key(), nameOf(n.Record), fieldOf(n.Field), n.Raw, n.National, n.Why)
	}
	more(w, len(r.NationalOnly.Items), r.NationalOnly.Total)

	heading(w, "Shared numbers", r.Shared.Total, r.Shared.Problems, "a call from one rings as ambiguous")
	for _, s := range r.Shared.Items {
		verdict := "no common company: the after-call CRM log is held for a person to choose"
		if s.Resolved {
			verdict = "common company " + s.CommonCompany + ": the after-call CRM log goes to it"
		}
		fmt.Fprintf(w, "  %s %s  %d records, %s (%s)\n", s.Source, s.Number, len(s.Records), verdict, s.Severity)
		for _, h := range s.Records {
			company := ""
			if h.Company != "" {
				company = "  company " + h.Company
			}
			fmt.Fprintf(w, "    %s%s  %s%q%s\n", h.Key(), nameOf(h.RecordRef), fieldOf(h.Field), h.Raw, company)
		}
	}
	more(w, len(r.Shared.Items), r.Shared.Total)

	heading(w, "external_id collisions in the sync", r.ExternalIDs.Total, r.ExternalIDs.Problems, "")
	for _, c := range r.ExternalIDs.Items {
		what := "one external_id: the sync sends the first and skips the others"
		if c.Kind == "case" {
			what = "external_ids that differ only in letter case"
		}
		fmt.Fprintf(w, "  %s %q: %d records, %s (%s)\n", c.Resource, c.ExternalID, len(c.Records), what, c.Severity)
		for _, h := range c.Records {
			raw := ""
			if h.Raw != "" {
				raw = fmt.Sprintf(" (mapped from %q)", h.Raw)
			}
			fmt.Fprintf(w, "    %s %s%s  external_id %q%s\n", h.Source, h.Key(), nameOf(h.RecordRef), h.ExternalID, raw)
		}
	}
	more(w, len(r.ExternalIDs.Items), r.ExternalIDs.Total)

	fmt.Fprintln(w)
	if len(r.RuleRefs) == 0 {
		fmt.Fprintln(w, "Routing rules read nothing of the record.")
	} else {
		var refs []string
		for _, ref := range r.RuleRefs {
			refs = append(refs, fmt.Sprintf("%s (%s)", ref.Path, strings.Join(ref.Rules, ", ")))
		}
		fmt.Fprintf(w, "Routing rules read: %s\n", strings.Join(refs, "; "))
	}
	heading(w, "Records without a value a rule reads", r.Missing.Total, r.Missing.Problems, "the rule cannot route them as meant")
	for _, m := range r.Missing.Items {
		fmt.Fprintf(w, "  %s %s%s  no %s (rules %s)\n", m.Record.Source, m.Record.Key(), nameOf(m.Record), m.Path, strings.Join(m.Rules, ", "))
	}
	more(w, len(r.Missing.Items), r.Missing.Total)

	if r.ConnectorWarnings.Total > 0 {
		fmt.Fprintf(w, "\nOther warnings logged (%d):\n", r.ConnectorWarnings.Total)
		for _, l := range r.ConnectorWarnings.Items {
			fmt.Fprintf(w, "  %s: %s\n", l.Source, l.Message)
		}
		more(w, len(r.ConnectorWarnings.Items), r.ConnectorWarnings.Total)
	}

	fmt.Fprintf(w, "\n%d problem(s), %d warning(s)\n", r.Problems, r.Warnings)
	return w.Flush()
}

// heading starts a section: its title, total and problems.
func heading(w io.Writer, title string, total, problems int, why string) {
	fmt.Fprintln(w)
	if total == 0 {
		fmt.Fprintf(w, "%s: none\n", title)
		return
	}
	counts := fmt.Sprintf("%d", total)
	if problems != total {
		counts = fmt.Sprintf("%d (%d problem(s), %d warning(s))", total, problems, total-problems)
	}
	if why != "" {
		why = "; " + why
	}
	fmt.Fprintf(w, "%s: %s%s\n", title, counts, why)
}

// more says how many entries were left out.
func more(w io.Writer, shown, total int) {
	if total > shown {
		fmt.Fprintf(w, "  ... and %d more (-limit to see more)\n", total-shown)
	}
}

func nameOf(r RecordRef) string {
	if r.Name == "" {
		return ""
	}
	return " " + r.Name
}

func fieldOf(f string) string {
	if f == "" {
		return ""
	}
	return f + " "
}
