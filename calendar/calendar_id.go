package calendar

// StateCalendarID is the state key of the calendar's own random identifier.
const StateCalendarID = "calendar.id"
