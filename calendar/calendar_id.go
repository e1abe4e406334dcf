package calendar

// StateCalendarID is the state key of the calendar's own random identifier.
const StateCalendarID = "calendar.id"

// StateZone is the state key of the calendar's zone (an IANA name): the zone
// its slots, evergreen fills and rules' days are read in, the same for every
// process that opens it. Absent on a calendar that has none recorded yet.
const StateZone = "calendar.tz"
