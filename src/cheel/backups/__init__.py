"""The backups kept in a destination: their records, their listing, and their pruning by
rules with a legal floor (issue 18)."""
