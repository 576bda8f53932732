"""Debits and credits summed per account, from journal lines as they go by: the one sum
that a drill (the file's account totals) and an export (movements, opening and earlier
balances) both take."""

from __future__ import annotations

import operator


def add_lines(sums: dict[int, list[int]], rows: list[tuple], i_account: int, i_debit: int,
              i_credit: int) -> None:
    """Add each row's debit and credit (integers of minor units) to ``sums[account]``, a
    ``[debit, credit]`` pair created at the account's first line."""
    for account, debit, credit in zip(map(operator.itemgetter(i_account), rows),
                                      map(operator.itemgetter(i_debit), rows),
                                      map(operator.itemgetter(i_credit), rows)):
        pair = sums.get(account)
        if pair is None:
            sums[account] = [debit, credit]
        else:
            pair[0] += debit
            pair[1] += credit
