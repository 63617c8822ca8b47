"""Offline interactive maps (folium + inlined Leaflet) of the region and every analysis."""

from .region_map import ONLINE_TILES, region_map, save_map

__all__ = ["ONLINE_TILES", "region_map", "save_map"]
