"""Domain code of the report "Arena Lettmetall – En evaluering": records, survey statistics,
text claims, Norwegian formatting and phrasing. Knows nothing about HTML/Typst/the engine."""
