"""The pure core: analytics, data quality, track record, chart maths and the trading calendar.

No I/O, no logging set-up, no config reads; functions never change their input.
"""
