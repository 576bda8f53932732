"""The WinBIZ tables as stored: the fields of ecriture.dbf, plan.dbf and dos_info.dbf (both
variants), the record sizes, the header bytes of dBase III and Visual FoxPro."""

from __future__ import annotations

from typing import NamedTuple


class Field(NamedTuple):
    """One field of a DBF table: name, type (C N D L M), length, decimals."""

    name: str
    type: str
    length: int
    decimals: int = 0


# ecriture.dbf: the fields of docs/WINBIZ.md, then others WinBIZ has (ignored by the import)
# so that a record is 415 bytes with its deletion flag (FACTS.md).
ECRITURE_FIELDS: tuple[Field, ...] = (
    Field("MULTIPLE", "C", 2),
    Field("ECR_NUMERO", "N", 10),
    Field("NUMERO", "N", 10),
    Field("ECR_NOLINE", "N", 4),
    Field("DATE", "D", 8),
    Field("PIECE", "C", 20),
    Field("LIBELLE", "C", 100),
    Field("CPT_DEBIT", "C", 12),
    Field("CPT_CREDIT", "C", 12),
    Field("MONTANT", "N", 15, 2),
    Field("JOURNAL", "C", 1),
    Field("ECR_MONNAI", "C", 10),
    Field("ECR_COURS", "N", 16, 6),
    Field("ECR_MONMNT", "N", 15, 2),
    Field("ECR_MONQTE", "N", 6),
    Field("ECR_TVATYP", "C", 2),
    Field("ECR_TVATX", "N", 6, 2),
    Field("ECR_TVAMNT", "N", 15, 2),
    Field("ECR_TVAMOD", "N", 2),
    Field("ECR_ANA", "C", 20),
    Field("ECR_VERROU", "L", 1),
    Field("ECR_REF1", "C", 20),
    Field("ECR_REF2", "C", 20),
    Field("ECR_VTCODE", "C", 10),
    Field("ECR_EXT", "C", 77),  # filler: the rest of WinBIZ's fields
)
ECRITURE_RECORD = 415
# What the import reads of ecriture.dbf (docs/WINBIZ.md), every other field is ignored.
ECRITURE_READ = ("MULTIPLE", "ECR_NUMERO", "NUMERO", "ECR_NOLINE", "DATE", "PIECE", "LIBELLE",
                 "CPT_DEBIT", "CPT_CREDIT", "MONTANT", "JOURNAL", "ECR_MONNAI", "ECR_COURS",
                 "ECR_MONMNT")

# plan.dbf: CLASSE, NUMERO, COMPTE, then about 600 bytes of other fields.
PLAN_FIELDS: tuple[Field, ...] = (
    Field("CLASSE", "C", 4),
    Field("NUMERO", "C", 12),
    Field("COMPTE", "C", 118),
    Field("COMPTE_D", "C", 118),  # other languages: ignored, the import takes COMPTE
    Field("COMPTE_I", "C", 118),
    Field("COMPTE_E", "C", 118),
    Field("CPT_MONNAI", "C", 10),
    Field("CPT_TVA", "C", 10),
    Field("CPT_BUDGET", "N", 15, 2),
    Field("CPT_SOLDE", "N", 15, 2),
    Field("CPT_INACT", "L", 1),
    Field("CPT_NOTE", "C", 60),
    Field("CPT_EXT", "C", 17),  # filler
)
PLAN_RECORD = 1 + 134 + 600

# dos_info.dbf. dBase III variant: no DOS_NOM, the name is the 100 characters after the
# first 10 (a code field, then a name field not called DOS_NOM). Visual FoxPro variant: a
# DOS_NOM field, placed so that the 100 characters after the first 10 are something else
# (the street), and the name is found only by the field's name.
DOS_INFO_DB3_FIELDS: tuple[Field, ...] = (
    Field("DOS_CODE", "C", 10),
    Field("DOS_RAISON", "C", 100),
    Field("DOS_RUE", "C", 60),
    Field("DOS_NPA", "C", 10),
    Field("DOS_LOCAL", "C", 40),
    Field("DOS_MONNAI", "C", 3),
    Field("DOS_IDE", "C", 20),
)
DOS_INFO_VFP_FIELDS: tuple[Field, ...] = (
    Field("DOS_CODE", "C", 10),
    Field("DOS_RUE", "C", 100),
    Field("DOS_NOM", "C", 100),
    Field("DOS_NPA", "C", 10),
    Field("DOS_LOCAL", "C", 40),
    Field("DOS_MONNAI", "C", 3),
    Field("DOS_IDE", "C", 20),
)

HEADERS = {"db3": 0x03, "vfp": 0x30}
VFP_BACKLINK = 263
MEMO_BLOCK = 64
CODEPAGE_1252 = 0x03  # the language driver byte of Windows ANSI (cp1252)

ECRITURE_COLUMNS = tuple(f.name for f in ECRITURE_FIELDS)
PLAN_COLUMNS = tuple(f.name for f in PLAN_FIELDS)
