"""The chapter "Om denne utgaven": editorial notes generated from the records.

    edits_markdown(records)          # per chapter: a list original -> edited, why
    artifacts_paragraph(edits)       # the kinds of extraction debris removed silently
    provenance_paragraph(survey)     # how many survey items are stated/reconstructed/estimated
    discrepancies_markdown(records)  # printed percentages no whole count of 24 gives exactly
"""

from __future__ import annotations

from almreport import norsk
from almreport import survey as sv
from almreport.markdown import escape
from almreport.records import Records
from almreport.schema.claims import ShareCheck
from almreport.schema.edits import Edit, Edits
from almreport.schema.survey import Survey

KIND_WORDS = {
    "typo": "skrivefeil",
    "spelling": "stavemåte",
    "grammar": "grammatikk",
    "punctuation": "tegnsetting",
    "lost-word": "tapt ord",
    "wording": "ordlyd",
    "number": "tall",
}
PROVENANCE_PHRASES = {
    "stated": "følger tallene entydig av prosentene i teksten",
    "reconstructed": "er de rekonstruert fra prosentene i teksten, og det prosentene ikke "
                     "fastlegger, er anslått ut fra ordlyden",
    "estimated": "er de anslått ut fra tekstens ordlyd alene, fordi teksten ikke oppgir tall",
}


def by_chapter(edits: Edits) -> dict[str, list[Edit]]:
    """Chapter path -> its edits, chapters in the order of `edits.chapters` (book order)."""
    groups: dict[str, list[Edit]] = {chapter: [] for chapter in edits.chapters}
    for edit in edits.edits:
        groups[edit.chapter].append(edit)
    return {chapter: group for chapter, group in groups.items() if group}


def edits_list(edits: list[Edit]) -> str:
    """One bullet per edit: where, printed -> edited, kind, why. (A list, not a table, so a
    long chapter's edits break across PDF pages.)"""
    return "\n".join(
        f"- {escape(e.section)}: «{escape(e.original)}» → «{escape(e.edited)}» "
        f"({KIND_WORDS[e.kind]}). {escape(e.note.rstrip('.'))}."
        for e in edits
    )


def edits_markdown(records: Records, level: int = 4) -> str:
    """One subsection (heading `level`) per chapter with its edits as a list. The heading is a
    cross reference to the chapter, resolved when the book is assembled ("Forord",
    "Kapittel 4"): no chapter notebook is read here, so editing one re-runs only itself."""
    parts = []
    for chapter, edits in by_chapter(records.edits).items():
        sec = records.edits.chapters[chapter]
        # an own id: pandoc's automatic one would be the chapter's own label again
        parts.append(f"{'#' * level} @{sec} {{#endringer-{sec.removeprefix('sec-')} "
                     ".unnumbered}")
        parts.append(edits_list(edits))
    return "\n\n".join(parts) + "\n"


def artifacts_paragraph(edits: Edits) -> str:
    """One sentence listing the kinds of debris removed without a note."""
    kinds = [escape(a.description) + (f" (som «{escape(a.example)}»)" if a.example else "")
             for a in edits.artifacts]
    return ("Teksten er overført fra rapportens PDF-utgave. Rester fra den overføringen er "
            f"fjernet overalt uten egen merknad: {norsk.join_list(kinds)}.")


def edits_summary(edits: Edits) -> str:
    """"I alt 79 endringer av ordlyden: 34 skrivefeil, ..." generated from the list."""
    counts: dict[str, int] = {}
    for e in edits.edits:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    kinds = [f"{n} {KIND_WORDS[k]}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return (f"Utover dette er ordlyden endret {len(edits.edits)} steder ("
            f"{norsk.join_list(kinds)}). Alle endringene er listet nedenfor kapittel for kapittel: "
            "teksten slik den er trykt i originalen → slik den står i denne utgaven.")


def provenance_paragraph(survey: Survey) -> str:
    """How the survey's counts were obtained, counted from the provenance data."""
    items = sv.items(survey)
    kinds: dict[str, list[str]] = {}
    for it in items:
        kinds.setdefault(it.provenance.kind, []).append(it.id)
    parts = [f"for {_count(len(ids))} {PROVENANCE_PHRASES[k]} ({_ids(ids)})"
             for k, ids in ((k, kinds[k]) for k in PROVENANCE_PHRASES if k in kinds)]
    n = survey.method.answered
    return (f"Figurene til spørreundersøkelsen (tabell 4.1–4.6) er i originalen trykt uten "
            f"tall. Fordelingen av de {n} svarene på hvert av de {len(items)} spørsmålene er "
            f"derfor gjenskapt fra omtalen i teksten: {'; '.join(parts)}. Under hver "
            "figur står tallene, hvilke spørsmål som er rekonstruert eller anslått, og en lenke "
            "til tallene som CSV-fil.")


def _count(n: int) -> str:
    return f"{norsk.number_word(n, 'n')} spørsmål" if n > 1 else "ett spørsmål"


def _ids(ids: list[str]) -> str:
    return "spørsmål " + norsk.join_list(ids)


def discrepancies(records: Records) -> list[tuple[str, str, float, int, int, float]]:
    """Printed exact percentages no whole count gives: (section, quote, printed, count, n,
    share) for every share claim with a `discrepancy`, in the order of claims.yaml."""
    out = []
    n = records.survey.method.answered
    for claim in records.claims.claims:
        check = claim.check
        if not (isinstance(check, ShareCheck) and check.discrepancy):
            continue
        it = sv.item(records.survey, check.target)
        count = sum(it.counts[c] for c in check.categories)
        out.append((claim.section, claim.quote, check.value, count, n, count / n))
    return out


def discrepancies_markdown(records: Records) -> str:
    """A list: where, the printed words, and what the counts give."""
    rows = discrepancies(records)
    if not rows:
        return ""
    lines = [
        "Noen prosenttall i teksten kan ikke være nøyaktige andeler av "
        f"{records.survey.method.answered} svar. Tallene i teksten er beholdt som trykt; "
        "figurene bygger på nærmeste mulige antall:",
        "",
    ]
    for section, quote, printed, count, n, share in rows:
        exact = norsk.fmt_number(printed * n / 100, 1)
        lines.append(
            f"- {escape(section)}: «{escape(quote)}» – {norsk.fmt_number(printed)} % av {n} "
            f"er {exact} svar; nærmeste antall er {count} ({norsk.fmt_percent(share)})."
        )
    return "\n".join(lines) + "\n"
