"""The researchers' pages outside the admin: the claims explorer, agencies, briefing status."""
