// Package fakeapi holds the building blocks for a faithful fake of a SaaS
// REST API: a loopback server, a request log and scripted faults. The fake
// HubSpot (connectors/hubspot/hubspottest) and the fake Hipcall
// (core/fakehipcall) are built from them, and so can the fake behind any
// new REST connector's tests. It does not depend on package testing, so a
// fake can also be served by a command for local trials.
//
// A fake built on it typically has:
//
//   - a Loopback, which listens on 127.0.0.1 (a free port by default),
//     serves the fake's handler in the background, and cuts delayed
//     requests short when the fake closes (Loopback.Wait);
//   - a Log of every request received (Request), with the route it
//     matched and the status it got, for tests to assert on what was asked;
//   - Faults, a per-route queue of scripted misbehaviours in the fake's
//     own Fault type (error statuses, delays, dropped connections), each
//     used up by one request; AnyRoute scripts the next request whatever
//     its route;
//   - the helpers that answer: ReadBody, Bearer, WriteJSON (with RawBody
//     for bodies written as they are) and DropConnection.
//
// Routes are named by the fake, conventionally "METHOD /template", e.g.
// "GET /crm/v3/objects/{objectType}".
package fakeapi
