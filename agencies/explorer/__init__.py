"""The explorer: the filtered claims page, the agency pages and their exports."""
