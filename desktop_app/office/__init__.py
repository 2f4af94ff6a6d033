"""The receiving office: consolidating the reports many units sent."""
