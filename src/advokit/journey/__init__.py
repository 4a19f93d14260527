"""Journey stages and personas of customers as of a date (issue 18), stored as customer attributes."""
