"""The workspace (one data folder and the operations on it), in parts with one job each:
data safety, the unit and its reports' basics, editing reports, exchange with other units,
and the receiving office. :class:`desktop_app.services.Workspace` puts them together."""
