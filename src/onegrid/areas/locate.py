# TEMPORARY local stand-in until the locate branch is merged (not committed)
from __future__ import annotations

import numpy as np
import shapely


class LocateIndex:
    def __init__(self, ids, geoms):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.geoms = np.array(geoms, dtype=object)
        self.tree = shapely.STRtree(self.geoms)

    @classmethod
    def build(cls, ids, geometries):
        return cls(ids, geometries)

    def locate(self, lon, lat):
        r = self.locate_many(np.array([lon]), np.array([lat]))[0]
        return None if r < 0 else int(r)

    def locate_many(self, lon, lat):
        pts = shapely.points(lon, lat)
        out = np.full(len(pts), -1, dtype=np.int64)
        p, g = self.tree.query(pts, predicate="covered_by")
        order = np.lexsort((g, p))
        p, g = p[order], g[order]
        first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.array([], bool)
        out[p[first]] = self.ids[g[first]]
        return out

    def __len__(self):
        return len(self.ids)
