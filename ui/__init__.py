"""The Qt desktop UI. It only shows and edits; all data goes through desktop_app.services."""
