package sqlstore

import calendar "github.com/crieur/crieur/calendar"

var _ calendar.ChangeNotifier = (*Store)(nil)
