"""The core of the record: models aside, the rules, the one door for writes (services), the reads
(selectors, conditions, search), permissions, dates and encryption. It imports no feature."""
