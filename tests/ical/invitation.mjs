// Reads an iCalendar object (RFC 5545) from stdin with ical.js, an implementation independent
// of the one Orbit writes with (Python's icalendar), and prints what a calendar app takes
// from it as JSON: the method, the event's identity and revision, its times resolved through
// the VTIMEZONE it carries, the organizer and the attendees.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const vevent = calendar.getFirstSubcomponent("vevent");
const event = new ICAL.Event(vevent);
const time = (t) => ({
  utc: t.toJSDate().toISOString(),
  local: t.toString(),
  zone: t.zone ? t.zone.tzid : null,
});
const person = (property) => ({
  address: property.getFirstValue(),
  name: property.getParameter("cn") ?? null,
  role: property.getParameter("role") ?? null,
  partstat: property.getParameter("partstat") ?? null,
  rsvp: property.getParameter("rsvp") ?? null,
});
const organizer = vevent.getFirstProperty("organizer");
process.stdout.write(
  JSON.stringify({
    version: calendar.getFirstPropertyValue("version"),
    prodid: calendar.getFirstPropertyValue("prodid"),
    method: calendar.getFirstPropertyValue("method"),
    zones: calendar.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    summary: event.summary,
    location: event.location,
    description: event.description,
    start: time(event.startDate),
    end: time(event.endDate),
    organizer: organizer ? person(organizer) : null,
    attendees: event.attendees.map(person),
  }),
);
