"""``cheel org``, ``cheel group`` and ``cheel company``."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from ..store import organizations
from ..store.languages import parse_languages
from ..store.names import normalized
from .context import Ctx, human_size, is_interactive, print_json
from .reports import print_org


@click.group("org")
def org() -> None:
    """Create, list, show, rename and delete organizations."""


@org.command("create")
@click.argument("name")
@click.option("--languages", default="fr,de,it,en", show_default=True,
              help="Ordered languages, main language first.")
@click.option("--postgres", metavar="URL",
              help="Put the organization in its own database on this PostgreSQL server.")
@click.pass_obj
def org_create(ctx: Ctx, name: str, languages: str, postgres: str | None) -> None:
    """Create a new, empty organization."""
    entry = organizations.create_organization(ctx.catalog, name, parse_languages(languages),
                                              postgres)
    click.echo(f'Created organization "{entry.name}" ({entry.engine}: {entry.shown_location}).')


@org.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def org_list(ctx: Ctx, as_json: bool) -> None:
    """List the organizations of the catalog."""
    items, shown = [], {}
    for entry in ctx.catalog.list():
        # JSON gives where the database is from anywhere; the table, what fits on a line
        shown[entry.name] = entry.shown_location
        where = organizations.location(ctx.catalog, entry)
        try:
            info = organizations.describe(ctx.catalog, entry, counts=False)
            item = {"name": entry.name, "engine": entry.engine,
                    "location": where, "groups": len(info["groups"]),
                    "companies": sum(len(g["companies"]) for g in info["groups"]),
                    "size_bytes": info["size_bytes"], "available": True}
        except Exception as e:  # one unreachable organization must not hide the others
            item = {"name": entry.name, "engine": entry.engine,
                    "location": where, "available": False, "error": str(e)}
        items.append(item)
    if as_json:
        print_json({"organizations": items})
        return
    if not items:
        click.echo(f"No organizations yet in {ctx.catalog.data_dir}. "
                   "Create one with: cheel org create NAME (or cheel demo).")
        return
    table = Table("Organization", "Engine", "Groups", "Companies", "Size", "Location")
    for i in items:  # names, locations and errors are data: escaped, never read as markup
        if i["available"]:
            table.add_row(escape(i["name"]), i["engine"], str(i["groups"]),
                          str(i["companies"]), human_size(i["size_bytes"]),
                          escape(shown[i["name"]]))
        else:
            table.add_row(escape(i["name"]), i["engine"], "-", "-", "-",
                          escape(f"unavailable: {i['error']}"))
    ctx.console.print(table)


@org.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def org_show(ctx: Ctx, name: str, as_json: bool) -> None:
    """Show an organization's groups, companies and row counts."""
    info = organizations.describe(ctx.catalog, ctx.catalog.find(name))
    if as_json:
        print_json(info)
        return
    print_org(ctx, info)


@org.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def org_rename(ctx: Ctx, name: str, new_name: str, as_json: bool) -> None:
    """Give an organization another name (its database keeps its own)."""
    old = ctx.catalog.find(name).name
    entry = organizations.rename_organization(ctx.catalog, name, new_name)
    if as_json:
        print_json({"renamed": old, "name": entry.name, "engine": entry.engine,
                    "location": organizations.location(ctx.catalog, entry)})
        return
    click.echo(f'Renamed organization "{old}" to "{entry.name}".')


@org.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True,
              help="Do not ask to type the name again (for scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def org_delete(ctx: Ctx, name: str, yes: bool, as_json: bool) -> None:
    """Delete an organization and its database. Its SQLite file, or the PostgreSQL database
    cheel created, is dropped; a PostgreSQL database cheel did not create stays on its
    server and only the organization's entry goes. Refused while a backup or a restore of
    it runs. In a terminal it asks to type the name again; without one, pass --yes."""
    entry = ctx.catalog.find(name)
    where = f"{entry.engine}: {organizations.location(ctx.catalog, entry)}"
    if not yes:
        if not is_interactive():
            raise UsageError("deleting an organization needs --yes without a terminal",
                             hint=f'cheel org delete "{entry.name}" --yes')
        if organizations.drops_database(entry):
            click.echo(f'This deletes the organization "{entry.name}" and its database '
                       f"({where}). It cannot be undone.", err=True)
        else:
            click.echo(f'This removes the organization "{entry.name}" from the catalog. Its '
                       f"PostgreSQL database ({entry.shown_location}) was not created by cheel "
                       "and stays on its server.", err=True)
        typed = click.prompt("Type the organization's name to confirm", default="",
                             show_default=False, err=True)
        if normalized(typed) != entry.name:
            click.echo("Cancelled; nothing was deleted.", err=True)
            raise click.exceptions.Exit(1)
    deleted = organizations.delete_organization(ctx.catalog, entry.name)
    if as_json:
        print_json({"deleted": deleted.entry.name, "engine": deleted.entry.engine,
                    "location": organizations.location(ctx.catalog, deleted.entry),
                    "database_dropped": deleted.dropped})
        return
    if deleted.dropped:
        click.echo(f'Deleted organization "{deleted.entry.name}" and its database ({where}).')
    else:
        click.echo(f'Removed organization "{deleted.entry.name}" from the catalog; its '
                   f"PostgreSQL database ({deleted.entry.shown_location}) was not created by "
                   "cheel and was left on its server.")


@click.group("group")
def group() -> None:
    """Create company groups."""


@group.command("create")
@click.argument("org_name", metavar="ORG")
@click.argument("name")
@click.pass_obj
def group_create(ctx: Ctx, org_name: str, name: str) -> None:
    """Create an empty company group in ORG."""
    with organizations.opened(ctx.catalog, org_name) as (entry, db):
        g = organizations.create_group(db, name)
    click.echo(f'Created company group "{g.name}" in "{entry.name}" (uid {g.uid}).')


@click.group("company")
def company() -> None:
    """Create companies."""


@company.command("create")
@click.argument("org_name", metavar="ORG")
@click.argument("name")
@click.option("--group", "group_name", metavar="GROUP",
              help="Join this existing group and share its data.")
@click.option("--new-group", "new_group", metavar="[GROUP]", is_flag=False, flag_value="",
              default=None, help="Form a new group (named after the company by default).")
@click.option("--legal-form", help="e.g. SA, Sàrl, GmbH.")
@click.option("--ide", "ide_number", help="IDE/UID number, CHE-123.456.789.")
@click.pass_obj
def company_create(ctx: Ctx, org_name: str, name: str, group_name: str | None,
                   new_group: str | None, legal_form: str | None,
                   ide_number: str | None) -> None:
    """Create a company in ORG, in an existing group (--group) or a new one (--new-group)."""
    if group_name is None and new_group is None:
        raise UsageError("say which group the company belongs to",
                         hint="use --group GROUP to share an existing group's data, "
                              "or --new-group [NAME] to form a new group")
    if group_name is not None and new_group is not None:
        raise UsageError("--group and --new-group cannot be used together")
    with organizations.opened(ctx.catalog, org_name) as (entry, db):
        c = organizations.create_company(db, name, group=group_name,
                                         new_group=new_group or None,
                                         legal_form=legal_form, ide_number=ide_number)
        g = next(g for g in organizations.list_groups(db)
                 if any(x.id == c.id for x in g.companies))
    click.echo(f'Created company "{c.name}" in group "{g.name}" of "{entry.name}".')
