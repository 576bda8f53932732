"""Mutations of names and uids: a group's, a company's or the organization's."""

from __future__ import annotations

from typing import Any

from cheel.store import schema

from .content import short
from .mutation import Mutation, pick
from .parts import Parts
from .verdicts import EITHER, name_verdict


def rename(what: str, name: str, index: int = 0, expect: str | None = None) -> Mutation:
    """A group's, company's or the source organization's name, changed everywhere the file
    says it (the manifest and the table row)."""

    def apply(p: Parts) -> None:
        org = p.manifest["organizations"][0]
        if what == "org":
            org["name"] = name
            return
        if what == "group":
            g = pick(org["groups"], index)
            g["name"] = name
            for r in p.rows(schema.GROUP_TABLE, g["key"]):
                r[p.col(schema.GROUP_TABLE, "name")] = name
            return
        companies = [(g, c) for g in org["groups"] for c in g["companies"]]
        g, c = pick(companies, index)
        c["name"] = name
        iu, iname = p.col(schema.COMPANY_TABLE, "uid"), p.col(schema.COMPANY_TABLE, "name")
        for r in p.rows(schema.COMPANY_TABLE, g["key"]):
            if r[iu] == c["uid"]:
                r[iname] = name

    who = "the organization" if what == "org" else f"{what} {index}"
    return Mutation("name", f"{who} named {short(name, 70)}", apply,
                    expect or name_verdict(name))


def reuid(what: str, uid: Any, index: int = 0, expect: str = EITHER) -> Mutation:
    """A group's or company's uid changed in the manifest and in its row; ``uid`` "dup":
    the uid of the other group (or company)."""

    def apply(p: Parts) -> None:
        org = p.manifest["organizations"][0]
        table = schema.GROUP_TABLE if what == "group" else schema.COMPANY_TABLE
        if what == "group":
            items = [(g, g) for g in org["groups"]]
        else:
            items = [(g, c) for g in org["groups"] for c in g["companies"]]
        g, item = pick(items, index)
        old = item["uid"]
        new = pick([x["uid"] for _, x in items if x["uid"] != old], index) \
            if uid == "dup" else uid
        item["uid"] = new
        iu = p.col(table, "uid")
        for r in p.rows(table, g["key"]):
            if r[iu] == old:
                r[iu] = new

    return Mutation("name", f"{what} {index} uid {short(uid, 50)}", apply, expect)
