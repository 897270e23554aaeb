"""One module per list format, each a ``looks_like_...`` detector and a ``parse_...`` parser,
registered in :data:`screening.lists.parsers.registry.FORMATS`; the shared extraction
(identifiers, aliases) and table builders sit beside them."""
