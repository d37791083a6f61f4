"""Open311 GeoReport v2 over matters, at ``/open311/v2/`` (an interface layer: nothing imports it but urls).

Written from the spec (http://wiki.open311.org/GeoReport_v2, summarised with its quirks in
``shared/reference/civic-anchors.md`` §1) and tolerant of what real clients send (§2.3 there, FixMyStreet
first). The decisions that the spec leaves open are written down in ``views.py``'s module docstring.
"""
