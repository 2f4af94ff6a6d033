"""Support: the rotating log (``logs``) and the support bundle (``bundle``). No Qt here."""
