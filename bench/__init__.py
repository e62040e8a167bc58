"""The booking-rush benchmark: see README.md in this folder."""
