package routing_test

import (
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/smartivr"
)

// Business hours and holidays in Istanbul, whatever the host's zone:
// closed days go to the voicemail (900), calls outside the hours to the
// night line (600), the rest to the reception (100, the default).
func Example_businessHours() {
	cfg := routing.Config{
		Default: map[string]string{"hipcall": "100"},
		Holidays: map[string]routing.HolidayList{
			"tr": {Dates: []string{"2026-01-01", "2026-04-23", "2026-05-01", "2026-12-24..2026-12-26"}},
		},
		Rules: []routing.Rule{
			{Name: "holiday", When: `holiday("tr", "Europe/Istanbul")`, To: map[string]string{"hipcall": "900"}},
			{Name: "after-hours", When: `!in_hours("Mon-Fri 09:00-18:00; Sat 10:00-14:00", "Europe/Istanbul")`,
				To: map[string]string{"hipcall": "600"}},
		},
	}
	for _, at := range []string{
		"2026-03-25T10:15:00+03:00", // a Wednesday morning
		"2026-03-25T18:00:00+03:00", // closing time
		"2026-03-28T13:59:00+03:00", // Saturday
		"2026-04-23T00:30:00+03:00", // a holiday, still the 22nd in UTC
	} {
		now, _ := time.Parse(time.RFC3339, at)
		r, err := routing.New(routing.Options{Config: cfg, Targets: []routing.Target{smartivr.Target()},
			Now: func() time.Time { return now }})
		if err != nil {
			fmt.Println(err)
			return
		}
		d := r.Decide(routing.NotFound(), routing.Call{}, "hipcall")
		fmt.Printf("%s (%s UTC): %s\n", at, now.UTC().Format("Mon 15:04"), d.Destination)
		if at == "2026-03-25T18:00:00+03:00" {
			ex := r.Explain(routing.NotFound(), routing.Call{}, "hipcall")
			fmt.Println("  ", ex.Env["now in Europe/Istanbul"])
			for _, s := range ex.Steps {
				for _, note := range s.Notes {
					fmt.Println("  ", s.Rule+":", note)
				}
			}
		}
	}
	// Output:
	// 2026-03-25T10:15:00+03:00 (Wed 07:15 UTC): 100
	// 2026-03-25T18:00:00+03:00 (Wed 15:00 UTC): 600
	//    Wed 2026-03-25 18:00:00 +03
	//    holiday: holiday("tr", "Europe/Istanbul") is false: Wed 2026-03-25 18:00:00 +03 is not on the list
	//    after-hours: in_hours("Mon-Fri 09:00-18:00; Sat 10:00-14:00", "Europe/Istanbul") is false: Wed 2026-03-25 18:00:00 +03 is outside the hours
	// 2026-03-28T13:59:00+03:00 (Sat 10:59 UTC): 100
	// 2026-04-23T00:30:00+03:00 (Wed 21:30 UTC): 900
}
