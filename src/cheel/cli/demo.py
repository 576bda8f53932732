"""Placeholder until the command lands."""

import click


def register(cli: click.Group) -> None:
    pass
