"""The one door into analysis: a route graph with its facts, settings and what-if edits.

A :class:`Scenario` is built once, from the shipped or a user region
(:meth:`Scenario.from_region`) or from a graph (:meth:`Scenario.from_graph`),
and validated once at that door.  It holds everything the analyses need and
computes each shared fact once, on first use: the array view of the graph
with the edits applied, the border lines and segments, the placed gates, the
border segment of every crossing edge, the patrol model of the BLOs, the
demand.  Every analysis takes a scenario; so do the map, the report and every
command.

Graph-building choices (the cost model's build tables) and analysis settings
(:class:`~borderwatch.settings.Settings`) are separate:
:meth:`Scenario.with_settings` changes a setting and reuses the graph and
every fact that does not depend on it.  :meth:`Scenario.edited` derives a
scenario by what-if edits (:mod:`borderwatch.edits`): closing or inspecting
gates, closing border segments, adding, moving or removing a BLO, patrol
hours, profile overrides (a season), demand shares.  Each edit is checked
against the scenario (an unknown id lists close matches) and recorded in
:attr:`Scenario.edits`.  Derived scenarios share the graph facts of their base
and, through the counter-based draws, its random numbers
(:mod:`borderwatch.analysis.draws`), so :func:`borderwatch.compare` reads a
difference as the edits' effect.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from .borders import borderlines, segment_borders, vietnam_coastline
from .crossings import crossing_units, gate_classes, in_vietnam, segment_of_edges
from .doors import SCENARIO_FIX, require
from .edits import (
    AddBLO,
    CloseGates,
    CloseSegments,
    DemandShares,
    Edit,
    InspectGates,
    MoveBLO,
    PatrolHours,
    ProfileOverride,
    RemoveBLO,
    SettingsChange,
    nest,
    read_scenario_file,
)
from .errors import GraphContractError, ParameterError, ProfileError, UnknownNameError
from .gates import place_gates
from .geodesy import distance_m, to_metres
from .names import did_you_mean
from .names import fold as _fold
from .network.arrays import GraphArrays
from .network.contract import GraphMeta, validate_route_graph
from .network.nearest import PointIndex
from .network.profile import Profile, default_profile, edge_cost, load_profile
from .patrol import PatrolModel, blo_sites
from .region import Region
from .settings import Settings, build_part

log = logging.getLogger(__name__)

#: Largest edge cost (h) a graph may carry: sums over any route stay far from float overflow (1e308).
MAX_EDGE_COST_H = 1e12

#: The demand name whose share is split over the export destinations (:attr:`Scenario.demand`).
EXPORT_DEMAND = "export"
#: Settings that change no route, flow, cut or draw (the chokepoint metrics stay valid when only these change).
ROUTE_FREE_SETTINGS = {"weights", "incident_match_km", "hours", "blo_hours", "inspect_exposure", "blo_at_gate"}
#: Results (:meth:`Scenario.memo` keys) of the routes, flows, cuts and draws alone: one computation serves every
#: scenario that differs from another only in those settings and in BLO edits.
ROUTE_MEMO = frozenset({"chokepoints"})


class _GraphFacts:
    """Facts of one graph, shared by every scenario on it (computed on first use)."""

    def __init__(
        self,
        G: nx.MultiDiGraph,
        meta: GraphMeta,
        region: Region | None,
        status: str,
        *,
        use_cache: bool = True,
        arrays: GraphArrays | None = None,
    ) -> None:
        self.G = G
        if arrays is not None:  # the view the graph cache read with the graph (GraphArrays.from_graph(G))
            self.__dict__["arrays"] = arrays
        self.use_cache = use_cache
        self.meta = meta
        self.region = region
        self.status = status
        self._segments: dict[float, gpd.GeoDataFrame] = {}
        self._segment_of: dict[float, np.ndarray] = {}
        self._patrol: dict[float, PatrolModel] = {}
        self._segment_names: dict[float, pd.Series] = {}

    @classmethod
    def load(cls, region: Region, profile: Profile, *, use_cache: bool) -> _GraphFacts:
        """Load the route graph of ``region`` and ``profile``, checked, with its array view (from the graph cache)."""
        from .network.cache import cached_route_graph

        G, status, arrays, meta = cached_route_graph(region, profile=profile, use_cache=use_cache, with_view=True)
        return cls(G, meta, region, status, use_cache=use_cache, arrays=arrays)

    @cached_property
    def arrays(self) -> GraphArrays:
        return GraphArrays.from_graph(self.G)

    @cached_property
    def digest(self) -> str:
        a = self.arrays
        h = hashlib.sha256()
        for part in (a.edge_tag, a.cost, a.time_h, a.exposure):
            h.update(np.ascontiguousarray(part).tobytes())
        return h.hexdigest()

    @cached_property
    def lines(self) -> gpd.GeoDataFrame:
        return borderlines(self._region("border lines").countries)

    @cached_property
    def gates(self) -> pd.DataFrame:
        return place_gates(self._region("gates"), lines=self.lines)

    @cached_property
    def gate_class(self) -> pd.Series:
        return gate_classes(self.G, self.arrays)

    @cached_property
    def coast(self) -> shapely.Geometry:
        region = self._region("coastline")
        return vietnam_coastline(region.coastline, region.countries).loc["all", "geometry"]

    @cached_property
    def landmarks(self) -> tuple[PointIndex, list[str], np.ndarray, np.ndarray, gpd.GeoDataFrame]:
        """Named points to describe a position by (gates at their placed position, Vietnamese towns), and provinces."""
        region = self._region("place names")
        places = region.places[region.places["iso_a3"] == "VNM"]
        gates = self.gates[self.gates["lon"].notna()]
        names = [f"gate {n}" for n in gates["name_vi"].fillna(gates["name"])] + list(places["name"])
        lon = np.concatenate([gates["lon"].to_numpy(float), places.geometry.x.to_numpy()])
        lat = np.concatenate([gates["lat"].to_numpy(float), places.geometry.y.to_numpy()])
        index = PointIndex(list(range(len(names))), lon, lat, ["VNM"] * len(names))
        provinces = region.provinces[region.provinces["iso_a3"] == "VNM"]
        return index, names, lon, lat, provinces

    def near(self, lon: np.ndarray, lat: np.ndarray) -> list[str]:
        lon, lat = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
        if self.region is None:
            return [""] * len(lon)
        index, names, lons, lats, provinces = self.landmarks
        ok = np.isfinite(lon) & np.isfinite(lat)
        found = index.nearest_ids(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
        points = to_metres(shapely.points(np.column_stack([np.where(ok, lon, 0.0), np.where(ok, lat, 0.0)])))
        shapes = to_metres(provinces.geometry.to_numpy())
        which = np.zeros(len(points), dtype=np.int64)
        if len(shapes):
            pairs = shapely.STRtree(shapes).query_nearest(points, all_matches=False)
            which[pairs[0]] = pairs[1]
        out = []
        for k in range(len(lon)):
            if not ok[k] or found[k] is None:
                out.append("")
                continue
            i = int(found[k])
            px, py = float(lons[i]), float(lats[i])
            province = f", {provinces['name'].iloc[which[k]]}" if len(shapes) else ""
            km = float(distance_m(px, py, lon[k], lat[k])) / 1000.0
            if km < 1.0:
                out.append(f"at {names[i]}{province}")
                continue
            bearing = (np.degrees(np.arctan2((lon[k] - px) * np.cos(np.radians(py)), lat[k] - py)) + 360.0) % 360.0
            compass = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")[int((bearing + 22.5) // 45) % 8]
            out.append(f"{km:.0f} km {compass} of {names[i]}{province}")
        return out

    def segment_names(self, length_km: float) -> pd.Series:
        if length_km not in self._segment_names:
            segs = self.segments(length_km)
            middles = shapely.line_interpolate_point(segs.geometry.to_numpy(), 0.5, normalized=True)
            names = self.near(shapely.get_x(middles), shapely.get_y(middles))
            self._segment_names[length_km] = pd.Series(names, index=segs["segment_id"].to_numpy(), name="near")
        return self._segment_names[length_km]

    def segments(self, length_km: float) -> gpd.GeoDataFrame:
        if length_km not in self._segments:
            if self.region is None:
                self._segments[length_km] = gpd.GeoDataFrame(
                    {"segment_id": [], "border": [], "length_m": []}, geometry=[], crs="EPSG:4326"
                )
            else:
                self._segments[length_km] = segment_borders(self.lines, segment_length_km=length_km)
        return self._segments[length_km]

    def segment_of(self, length_km: float) -> np.ndarray:
        if length_km not in self._segment_of:
            self._segment_of[length_km] = segment_of_edges(self.G, self.arrays, self.segments(length_km))
        return self._segment_of[length_km]

    def patrol(self, length_km: float) -> PatrolModel:
        if length_km not in self._patrol:
            self._patrol[length_km] = PatrolModel(
                self.arrays,
                node_x=self.arrays.node_x,
                node_y=self.arrays.node_y,
                segments=self.segments(length_km),
                coast=self.coast,
                segment_length_km=length_km,
            )
        return self._patrol[length_km]

    def _region(self, what: str) -> Region:
        if self.region is None:
            raise ParameterError(
                f"{what} need the region; build the scenario with Scenario.from_region(...) or "
                "Scenario.from_graph(G, region=...)"
            )
        return self.region


class Scenario:
    """A route graph, its analysis settings and what-if edits: what every analysis takes.

    Build one with :meth:`from_region` or :meth:`from_graph`, not by calling
    the class.

    Attributes
    ----------
    name, description
        For people (reports, comparisons).
    settings
        The analysis settings.
    edits
        The edits applied to the base, in order.
    base
        The scenario this one was derived from (``None`` for a base).

    Examples
    --------
    A toy graph: origin ``o``, two gates ``A`` and ``B`` into ``t``.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("o", "a", cost=1.0)
    0
    >>> G.add_edge("a", "t", cost=1.0, gate_id="A")
    0
    >>> G.add_edge("o", "t", cost=5.0, gate_id="B")
    0
    >>> base = Scenario.from_graph(G, origin="o", destinations=["t"])
    >>> closed = base.edited(CloseGates(("A",)))
    >>> closed.edits[0].describe(), closed.least_cost("t")
    ('close gate A', 5.0)
    """

    def __init__(
        self,
        facts: _GraphFacts,
        *,
        profile: Profile,
        settings: Settings,
        origin: Hashable | None,
        destinations: Mapping[str, Hashable],
        name: str = "base",
        description: str = "",
        edits: tuple[Edit, ...] = (),
        base: Scenario | None = None,
        root: _GraphFacts | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        self._facts = facts
        self._root = root if root is not None else facts
        self.profile = profile
        self.settings = settings
        self._given_origin = origin  # None: the profile's [origins] (a route graph) or the graph's own
        self.destinations = dict(destinations)
        self.name = name
        self.description = description
        self.edits = tuple(edits)
        self.base = base
        state = state or {}
        self._closed_gates: frozenset[str] = frozenset(state.get("closed_gates", ()))
        self._closed_segments: frozenset[str] = frozenset(state.get("closed_segments", ()))
        self._inspected: dict[str, float] = dict(state.get("inspected", {}))
        self._blos: gpd.GeoDataFrame | None = state.get("blos")
        self._memo: dict[Hashable, Any] = {}
        # results of the routes alone (ROUTE_MEMO): shared with the scenarios that differ only in BLOs and
        # route-free settings, so whichever of them computes one first computes it for all
        self._route_memo: dict[Hashable, Any] = {}
        self._check_demand()
        self._check_blo_hours()

    # ------------------------------------------------------------------ doors
    @classmethod
    def from_region(
        cls,
        region: Region | str | Path | None = None,
        *,
        profile: Profile | Mapping[str, Any] | str | Path | None = None,
        use_cache: bool = True,
        name: str = "base",
        **settings: Any,
    ) -> Scenario:
        """Build (or load from the graph cache) the route graph of a region and wrap it.

        Parameters
        ----------
        region
            A :class:`~borderwatch.Region`, a data folder, or ``None`` for the
            shipped data (or ``$BORDERWATCH_DATA``).
        profile
            Cost profile (a file, a table or a :class:`~borderwatch.network.profile.Profile`).
        use_cache
            Read and write the graph cache (:func:`borderwatch.cached_route_graph`).
        name
            The scenario's name.
        **settings
            Analysis settings to change (:class:`~borderwatch.settings.Settings` fields).

        Returns
        -------
        Scenario

        Raises
        ------
        ParameterError
            ``region`` is not a Region, a folder or None; a bad setting.
        ProfileError
            A bad profile, or a ``lattice.refine`` whose lattice would not fit
            in the available memory (:mod:`borderwatch.network.estimate`).
        """
        from .network.estimate import check_lattice_memory
        from .readers import load_region

        require(
            region, (Region, str, Path, None), where="Scenario.from_region", name="region", fix="give a data folder"
        )
        checked = load_profile(profile)
        parsed = Settings.from_profile(checked, **settings)  # bad settings fail before the build
        if not isinstance(region, Region):
            region = load_region(region)
        if region.terrain is not None:
            check_lattice_memory(region.terrain.shape, checked["lattice"]["refine"])
        facts = _GraphFacts.load(region, checked, use_cache=use_cache)
        return cls(
            facts,
            profile=checked,
            settings=parsed,
            origin=None,
            destinations=facts.meta.destinations,
            name=name,
        )

    @classmethod
    def from_graph(
        cls,
        G: nx.MultiDiGraph,
        *,
        region: Region | None = None,
        origin: Hashable | None = None,
        destinations: Sequence[Hashable] | None = None,
        name: str = "base",
        **settings: Any,
    ) -> Scenario:
        """Wrap a graph already built (by borderwatch, or any graph with a ``cost`` on every edge).

        Parameters
        ----------
        G
            The graph; checked against the route-graph contract once, here.
        region
            The region it was built from (needed for coverage, siting and
            everything per border segment).
        origin
            Origin node id; default the profile's ``[origins]`` on a route graph (:attr:`origin_shares`),
            else the graph's own.
        destinations
            Destination node ids with equal shares of the demand (default the
            graph profile's ``[demand]``).
        name
            The scenario's name.
        **settings
            Analysis settings to change.

        Returns
        -------
        Scenario

        Raises
        ------
        GraphContractError
            The graph breaks the contract.
        GraphContractError
            The graph breaks the contract, or an edge costs more than
            :data:`MAX_EDGE_COST_H` (route sums would overflow).
        UnknownNameError
            The origin or a destination is not a node.
        ParameterError
            Not a graph; no origin, or no destination and no profile demand; a
            destination that is the origin; ``destinations`` not a list.
        """
        if not isinstance(G, nx.Graph):
            raise ParameterError(f"Scenario.from_graph needs a networkx graph, got {type(G).__name__}")
        if isinstance(destinations, str | bytes) or not isinstance(destinations, Iterable | None):
            raise ParameterError(f"destinations must be a list of node ids, got {type(destinations).__name__}")
        destinations = list(destinations) if destinations is not None else None
        meta = validate_route_graph(G)
        _check_cost_bound(G)
        profile = meta.profile if meta.profile is not None else default_profile()
        if origin is None and meta.origin is None:
            raise ParameterError("this graph names no origin; pass origin=NODE_ID (CLI: --origin)")
        for node in [*([origin] if origin is not None else []), *(destinations or [])]:
            if not isinstance(node, Hashable) or node not in G:
                raise UnknownNameError(f"node {node!r} is not in the graph")
        if destinations is not None and origin in destinations:
            raise ParameterError(
                f"destination {origin!r} is the origin; a route needs somewhere else to go (give other --to nodes)"
            )
        named = dict(meta.destinations)
        if destinations is not None:
            if not len(destinations):
                raise ParameterError("give at least one destination (CLI: --to NODE_ID)")
            named = {str(d): d for d in dict.fromkeys(destinations)}
            equal = dataclasses.replace(Settings.from_profile(profile), demand=dict.fromkeys(named, 1.0))
            parsed = equal.replace(**settings)
        elif meta.profile is None or not set(meta.demand) <= set(named):
            # a user graph: equal shares over its named destinations, if any
            if meta.demand:
                log.info("the graph's [demand] names destinations it does not have; using equal shares")
            equal = dataclasses.replace(Settings.from_profile(profile), demand=dict.fromkeys(named, 1.0))
            parsed = equal.replace(**settings)
        else:
            parsed = Settings.from_profile(profile, **settings)
        facts = _GraphFacts(G, meta, region, "given")
        return cls(facts, profile=profile, settings=parsed, origin=origin, destinations=named, name=name)

    @classmethod
    def from_file(cls, path: str | Path, *, base: Scenario) -> Scenario:
        """Read a scenario file (:mod:`borderwatch.edits`) and derive its scenario from ``base``.

        Parameters
        ----------
        path
            A TOML scenario file.
        base
            The scenario its edits apply to.

        Returns
        -------
        Scenario
        """
        if not isinstance(base, Scenario):
            raise ParameterError(f"Scenario.from_file needs base=<a Scenario>, got {type(base).__name__}")
        spec = read_scenario_file(path)
        return base.edited(*spec.edits, name=spec.name, description=spec.description)

    # --------------------------------------------------------------- deriving
    def with_settings(self, **changes: Any) -> Scenario:
        """Return the same scenario with analysis settings changed (the graph and its facts are reused).

        Parameters
        ----------
        **changes
            :class:`~borderwatch.settings.Settings` fields, e.g. ``samples=40``.

        Returns
        -------
        Scenario
        """
        derived = self._derive(settings=self.settings.replace(**changes))
        if set(changes) <= ROUTE_FREE_SETTINGS:
            derived._route_memo = self._route_memo  # the routes and draws are the same
        return derived

    def edited(self, *edits: Edit, name: str | None = None, description: str | None = None) -> Scenario:
        """Derive a scenario by what-if edits (checked here, in order, and recorded).

        Parameters
        ----------
        *edits
            :mod:`borderwatch.edits` objects.
        name, description
            Of the new scenario (default: the edits described).

        Returns
        -------
        Scenario

        Raises
        ------
        UnknownNameError
            An edit names an unknown gate, segment, BLO or destination (close matches listed).
        ParameterError, ProfileError
            A bad value (a BLO outside Vietnam or at sea, an unknown profile key ...).
        """
        current = self._derive()
        current._memo = dict(self._memo)  # nothing changed yet
        current._route_memo = self._route_memo
        for edit in edits:
            if not isinstance(edit, Edit):
                raise ParameterError(f"edits must be borderwatch.edits objects, got {type(edit).__name__} {edit!r}")
            try:
                previous, current = current, current._apply(edit)
                if isinstance(edit, AddBLO | MoveBLO | RemoveBLO | PatrolHours):
                    current._route_memo = previous._route_memo  # BLOs move no traffic
            except (ParameterError, ProfileError, UnknownNameError) as exc:
                raise type(exc)(f"edit '{edit.describe()}': {exc}") from None
        current.name = name if name is not None else ("; ".join(e.describe() for e in edits) or self.name)
        current.description = description if description is not None else self.description
        current.base = self
        current.edits = self.edits + tuple(edits)
        return current

    def _derive(self, **changes: Any) -> Scenario:
        state = {
            "closed_gates": self._closed_gates,
            "closed_segments": self._closed_segments,
            "inspected": self._inspected,
            "blos": self._blos,
            **changes.pop("state", {}),
        }
        kwargs = {
            "profile": self.profile,
            "settings": self.settings,
            "origin": self._given_origin,
            "destinations": self.destinations,
            "name": self.name,
            "description": self.description,
            "edits": self.edits,
            "base": self.base,
            "root": self._root,
        }
        facts = changes.pop("facts", self._facts)
        kwargs.update(changes)
        return Scenario(facts, state=state, **kwargs)

    def _apply(self, edit: Edit) -> Scenario:
        if isinstance(edit, CloseGates):  # (the edit checked its own fields when it was made)
            ids = self.resolve_gates(edit.gates)
            return self._derive(state={"closed_gates": self._closed_gates | set(ids)})
        if isinstance(edit, CloseSegments):
            ids = self.resolve_segments(edit.segments)
            return self._derive(state={"closed_segments": self._closed_segments | set(ids)})
        if isinstance(edit, InspectGates):
            amount = self.settings.inspect_exposure if edit.exposure is None else edit.exposure
            if not 0 <= amount <= 1:
                raise ParameterError(f"inspection exposure must lie in [0, 1], got {amount!r}")
            ids = self.resolve_gates(edit.gates)
            edges = self._facts.arrays.gate_edges(ids)
            base = self._facts.arrays
            if not (np.isfinite(base.exposure[edges]).all() and np.isfinite(base.time_h[edges]).all()):
                raise ParameterError(
                    "inspecting raises a gate's exposure, but this graph's gate edges have no time_h and exposure; "
                    "close the gate instead, or give its edges time_h and exposure"
                )
            return self._derive(state={"inspected": {**self._inspected, **dict.fromkeys(ids, float(amount))}})
        if isinstance(edit, AddBLO | MoveBLO | RemoveBLO):
            return self._derive(state={"blos": self._edited_blos(edit)})
        if isinstance(edit, PatrolHours):
            if isinstance(edit.hours, Mapping):
                hours = {self.resolve_blo(b): h for b, h in edit.hours.items()}
                return self._derive(settings=self.settings.replace(blo_hours=hours))
            return self._derive(settings=dataclasses.replace(self.settings.replace(hours=edit.hours), blo_hours={}))
        if isinstance(edit, DemandShares):
            for name in edit.shares:
                if name not in self.destinations:
                    raise UnknownNameError(f"unknown destination {name!r}{did_you_mean(name, self.destinations)}")
            return self._derive(settings=self.settings.replace(demand=edit.shares))
        if isinstance(edit, SettingsChange):
            return self._derive(settings=self.settings.replace(**dict(edit.values)))
        if isinstance(edit, ProfileOverride):
            return self._overridden(edit)
        raise ParameterError(f"unknown edit {edit!r}")

    def _overridden(self, edit: ProfileOverride) -> Scenario:
        profile = load_profile(self.profile, **nest(edit.values))
        profile.source = f"{self.profile.source} + {edit.source}"
        settings = self.settings.with_profile_keys(edit.values)
        if build_part(profile) == build_part(self.profile):
            return self._derive(profile=profile, settings=settings)
        region = self._facts.region
        if region is None:
            raise ParameterError(
                f"keys {', '.join(edit.values)} change how the graph is built, which needs the region; "
                "use Scenario.from_region, or override only analysis keys on a user graph"
            )
        log.info("scenario %s: rebuilding the route graph for %s", self.name, edit.describe())
        use_cache = self._facts.use_cache  # --no-cache holds for a rebuilt graph too
        facts = _GraphFacts.load(region, profile, use_cache=use_cache)
        return self._derive(facts=facts, profile=profile, settings=settings)

    # ------------------------------------------------------------------ facts
    @property
    def G(self) -> nx.MultiDiGraph:  # noqa: N802 (the networkx name)
        """The route graph (networkx; never modified by edits)."""
        return self._facts.G

    @property
    def region(self) -> Region | None:
        """The region, or ``None`` for a bare graph."""
        return self._facts.region

    @property
    def meta(self) -> GraphMeta:
        """The graph's typed metadata (checked once)."""
        return self._facts.meta

    @property
    def graph_status(self) -> str:
        """How the graph was obtained (``cache hit``, ``built, cached``, ``given`` ...)."""
        return self._facts.status

    @property
    def build(self) -> dict[str, Any]:
        """What the builder recorded (counts, timings, ``gates_left_out``)."""
        return dict(self.meta.build)

    @property
    def gates_left_out(self) -> dict[str, str]:
        """Gate id -> why the builder left it out of the graph."""
        return dict(self.meta.build.get("gates_left_out") or {})

    @property
    def is_route_graph(self) -> bool:
        """Whether the graph was built by borderwatch (it has a region and a profile)."""
        return self.meta.profile is not None and self.meta.origin is not None

    @cached_property
    def arrays(self) -> GraphArrays:
        """The array view with this scenario's closures and inspections applied (inspected: exposure, cost raised)."""
        base = self._facts.arrays
        cost = base.cost.copy()
        exposure = base.exposure
        if self._inspected:
            edges = base.gate_edges(list(self._inspected))
            add = np.array([self._inspected[g] for g in base.gate_id[edges]])
            exposure = base.exposure.copy()
            exposure[edges] = np.minimum(1.0, base.exposure[edges] + add)
            cost[edges] = edge_cost(base.time_h[edges], exposure[edges], profile=self.profile)
        if self._closed_gates:
            cost[base.gate_edges(sorted(self._closed_gates))] = np.inf
        if self._closed_segments:
            cost[np.isin(self.segment_of, list(self._closed_segments))] = np.inf
        if not (self._inspected or self._closed_gates or self._closed_segments):
            return base
        return dataclasses.replace(base.with_cost(cost), exposure=exposure)

    @property
    def segments(self) -> gpd.GeoDataFrame:
        """Land-border segments of :attr:`Settings.segment_length_km <borderwatch.settings.Settings>`."""
        return self._facts.segments(self.settings.segment_length_km)

    @property
    def segment_names(self) -> pd.Series:
        """Segment id -> where it is, by the nearest Vietnamese place (``"12 km NW of Lao Cai, Lao Cai"``)."""
        return self._facts.segment_names(self.settings.segment_length_km)

    def near(self, lon: float, lat: float) -> str:
        """Name a position by the nearest gate or Vietnamese town: distance, compass direction, place, province.

        Parameters
        ----------
        lon, lat
            The position (degrees).

        Returns
        -------
        str
            E.g. ``"3 km SW of gate Nậm Cắn, Nghệ An"``; ``""`` without a region.
        """
        return self._facts.near(lon, lat)[0]

    @property
    def segment_length_km(self) -> float:
        """The segment length every per-segment table uses."""
        return float(self.settings.segment_length_km)

    @property
    def segment_of(self) -> np.ndarray:
        """Border segment of every informal crossing edge into Vietnam ("" for others)."""
        return self._facts.segment_of(self.settings.segment_length_km)

    @property
    def lines(self) -> gpd.GeoDataFrame:
        """The land borderlines (one per neighbour)."""
        return self._facts.lines

    @property
    def gates(self) -> pd.DataFrame:
        """The placed gate table (:func:`borderwatch.place_gates`), with ``closed`` and ``inspected`` columns."""
        table = self._facts.gates.copy()
        table["closed"] = table["id"].isin(self._closed_gates)
        table["inspected"] = table["id"].isin(set(self._inspected))
        return table

    @property
    def gate_class(self) -> pd.Series:
        """Gate id -> class, of every gate in the graph."""
        return self._facts.gate_class

    @property
    def patrol(self) -> PatrolModel:
        """The patrol model (patrol graph, coverable segments), shared by every scenario on this graph."""
        return self._facts.patrol(self.settings.segment_length_km)

    @property
    def blos(self) -> gpd.GeoDataFrame:
        """The BLO sites with this scenario's additions, moves and removals."""
        if self._blos is not None:
            return self._blos
        return self._facts._region("BLOs").blos

    @cached_property
    def blo_starts(self) -> pd.DataFrame:
        """Where each BLO stands and its patrols start (:func:`~borderwatch.patrol.blo_sites`), and its ``hours``."""
        sites = blo_sites(self.blos, self.patrol, gates=self.gates if self.settings.blo_at_gate else None)
        return sites.assign(hours=[self.blo_hours(b) for b in sites["blo_id"]])

    def blo_hours(self, blo_id: str) -> float:
        """Patrol hours of one BLO (its own, else :attr:`Settings.hours <borderwatch.settings.Settings>`)."""
        return float(self.settings.blo_hours.get(blo_id, self.settings.hours))

    @cached_property
    def origin_shares(self) -> dict[Hashable, float]:
        """Origin node -> share of the demand starting there (normalised to sum 1).

        On a route graph the profile's ``[origins] share`` (every origin the
        builder placed is a node); with an origin given to
        :meth:`from_graph`, or on a graph that records no origins, that one
        origin takes the whole demand.

        Raises
        ------
        ParameterError
            An origin with a share is not in the graph.
        """
        if self._given_origin is not None or not self.is_route_graph:
            return {self._given_origin if self._given_origin is not None else self.meta.origin: 1.0}
        built = dict(self.meta.build.get("origins") or {})
        if not built:  # a route graph whose builder recorded no origins (an older file, a hand-made one)
            return {self.meta.origin: 1.0}
        shares = {name: float(share) for name, share in self.profile["origins"]["share"].items() if share > 0}
        missing = [name for name in shares if name not in built]
        if missing:
            raise ParameterError(
                f"origins {', '.join(map(repr, missing))} have a share but no node in the graph (it has "
                f"{', '.join(map(repr, built))}); give them an origins.position and rebuild, or set their share to 0"
            )
        total = sum(shares.values())
        return {built[name]: share / total for name, share in shares.items()}

    @property
    def origin(self) -> Hashable:
        """The origin node every analysis routes from.

        Raises
        ------
        ParameterError
            More than one origin has a share of the demand: no analysis routes
            from several origins yet.
        """
        if len(self.origin_shares) == 1:
            return next(iter(self.origin_shares))
        names = {node: name for name, node in (self.meta.build.get("origins") or {}).items()}
        given = ", ".join(f"{names.get(n, n)} {s:.2f}" for n, s in self.origin_shares.items())
        raise ParameterError(
            f"the demand starts at {len(self.origin_shares)} origins ({given}); every analysis (routes, flows, the "
            "ensemble, chokepoints, minimum cut, pinch points, ranking, coverage, siting, interdiction, compare, "
            "sweep) routes from one origin, and none supports several yet: give one origin the whole share "
            "(profile [origins] share)"
        )

    @cached_property
    def demand(self) -> dict[str, float]:
        """Destination name -> share of the demand as given (> 0 only; not normalised), export split by port.

        On a route graph the ``export`` share is split over the export
        destinations by the profile's ``[export] destinations`` shares: each
        ``"export to <port>"`` gets export share x port share (on top of any
        share the demand gives it by name) and is routed to its own overseas
        port, through the Vietnamese seaport cheapest for it.  The ``export``
        sink stays a destination to route to (``--to export``: the cheapest
        port) but takes no demand.  (With no port given a share the graph has
        no export sink, and a share of ``export`` is refused when the scenario
        is made.)  Elsewhere (a user graph) the names are taken as they are.

        Raises
        ------
        ProfileError
            The port shares do not sum to 1 (:func:`~borderwatch.network.endpoints.export_shares`).
        ParameterError
            A port with a share is not a destination of the graph.
        """
        split = self._export_split()
        out: dict[str, float] = {}
        for name, share in self.settings.demand.items():
            for part_name, part in (split if name == EXPORT_DEMAND and split else {name: 1.0}).items():
                out[part_name] = out.get(part_name, 0.0) + float(share) * part
        return {name: share for name, share in out.items() if share > 0}

    def _export_split(self) -> dict[str, float]:
        """Export destination name -> its share of the export demand (empty: no split)."""
        from .network.endpoints import export_label, export_shares

        if not (self.is_route_graph and EXPORT_DEMAND in self.destinations):
            return {}
        split = {export_label(label): share for label, share in export_shares(self.profile).items()}
        missing = [name for name in split if name not in self.destinations]
        if missing:
            raise ParameterError(
                f"the export demand is split over {', '.join(map(repr, missing))} (profile [export] destinations), "
                "but the graph has no such destination; rebuild the graph with this profile or set those shares to 0"
            )
        return split

    @cached_property
    def shares(self) -> dict[Hashable, float]:
        """Destination node -> share of the demand (normalised to sum 1; :attr:`demand` by node)."""
        nodes: dict[Hashable, float] = {}
        for name, share in self.demand.items():
            node = self.destinations[name]
            nodes[node] = nodes.get(node, 0.0) + share
        total = sum(nodes.values())
        if not total > 0:
            raise ParameterError(
                "no demand: this scenario names no destination with a share > 0; name destinations "
                "(Scenario.from_graph(G, destinations=[...]); CLI: --to NODE_ID) or set demand shares"
            )
        return {n: s / total for n, s in nodes.items()}

    @property
    def destination_names(self) -> dict[Hashable, str]:
        """Node id -> display name of every named destination."""
        return {node: name for name, node in self.destinations.items()}

    @cached_property
    def crossings(self) -> tuple[np.ndarray, pd.DataFrame]:
        """Cut unit of every edge and the units' closing costs (from :attr:`settings`)."""
        return crossing_units(
            self.arrays,
            self.segment_of,
            self.segments,
            gate_class=self.gate_class,
            closing=dict(self.settings.closing),
        )

    def cut_destinations(self) -> list[Hashable]:
        """Destinations inside Vietnam (what the minimum cut separates from the origin)."""
        return in_vietnam(self.arrays, list(self.shares)) if self.is_route_graph else list(self.shares)

    def least_cost(self, destination: Hashable) -> float:
        """Return the trafficker's least cost (h) to a destination (name or node) in this scenario.

        Parameters
        ----------
        destination
            A destination name or a node id.

        Returns
        -------
        float

        Raises
        ------
        ParameterError
            ``destination`` is not a name or node id (unhashable).
        UnknownNameError
            It is not a node of the graph.
        """
        require(destination, Hashable, where="Scenario.least_cost", name="destination", fix="give a destination name")
        node = self.destinations.get(destination, destination)
        view = self.arrays.for_destination(node)
        return view.path(self.origin, node)[1]

    @property
    def closed_gates(self) -> frozenset[str]:
        """Gate ids closed by edits."""
        return self._closed_gates

    @property
    def closed_segments(self) -> frozenset[str]:
        """Segment ids closed by edits."""
        return self._closed_segments

    @property
    def inspected_gates(self) -> dict[str, float]:
        """Gate id -> exposure added by an inspection edit."""
        return dict(self._inspected)

    def fingerprint(self) -> dict[str, Any]:
        """Return what two runs must share to be compared sample by sample: base graph, data and draws.

        Returns
        -------
        dict
            ``graph`` (digest of the base graph's edges and costs), ``data``
            (input file hashes, or ``None``), ``ensemble`` (samples, seed, sigmas).
        """
        region = self._root.region
        data = None
        if region is not None and region.sources:  # the files' contents, not where they lie
            hashes = sorted((name, entry["sha256"]) for name, entry in region.manifest().items())
            data = hashlib.sha256(repr(hashes).encode()).hexdigest()
        return {"graph": self._root.digest, "data": data, "ensemble": list(self.settings.ensemble_key())}

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the result stored under ``key``, computing it once (analyses share results this way).

        Parameters
        ----------
        key
            What the result is (an analysis name and its options).
        compute
            Makes the result.
        """
        store = self._route_memo if key in ROUTE_MEMO else self._memo
        if key not in store:
            store[key] = compute()
        return store[key]

    def describe(self) -> dict[str, Any]:
        """Plain data for manifests: name, description, edits, settings, graph status."""
        return {
            "name": self.name,
            "description": self.description,
            "edits": [e.to_dict() for e in self.edits],
            "edits_described": [e.describe() for e in self.edits],
            "settings": self.settings.to_dict(),
            "profile": self.profile.source,
            "graph": self.graph_status,
        }

    def __repr__(self) -> str:
        n = self.G.number_of_nodes(), self.G.number_of_edges()
        return f"Scenario({self.name!r}, {n[0]} nodes, {n[1]} edges, {len(self.edits)} edits)"

    # --------------------------------------------------------------- resolving
    def resolve_gates(self, names: Iterable[str]) -> list[str]:
        """Gate ids of gate ids or names (case and accents ignored).

        Parameters
        ----------
        names
            Gate ids (``VN-LAO-016``) or names (``Cầu Treo``, ``Cau Treo``).

        Returns
        -------
        list of str

        Raises
        ------
        UnknownNameError
            A name matches no gate of the graph (close matches listed), or a
            gate the builder left out (the reason given).
        """
        in_graph = set(self.arrays.gate_id[self.arrays.crossing == "gate"])
        table = self._facts.gates if self._facts.region is not None else pd.DataFrame({"id": sorted(in_graph)})
        keys: dict[str, str] = {}
        for rec in table.to_dict("records"):
            for col in ("id", "name", "name_vi"):
                if isinstance(rec.get(col), str):
                    keys.setdefault(_fold(rec[col]), rec["id"])
        out = []
        for name in names:
            gid = keys.get(_fold(name))
            if gid is None:
                options = [*keys.values(), *table.get("name", [])]
                raise UnknownNameError(f"unknown gate {name!r}{did_you_mean(name, options)}")
            if gid not in in_graph:
                why = self.gates_left_out.get(gid, "it has no crossing in the graph")
                raise UnknownNameError(f"gate {name!r} ({gid}) is not in the route graph: {why}")
            out.append(gid)
        return out

    def resolve_segments(self, ids: Iterable[str]) -> list[str]:
        """Check border segment ids (``LAO-00-0059``) against :attr:`segments`.

        Parameters
        ----------
        ids
            Segment ids.

        Returns
        -------
        list of str
        """
        known = set(self.segments["segment_id"])
        out = []
        for sid in ids:
            found = next((k for k in known if k.casefold() == str(sid).strip().casefold()), None)
            if found is None:
                raise UnknownNameError(f"unknown border segment {sid!r}{did_you_mean(str(sid), known)}")
            out.append(found)
        return out

    def resolve_blo(self, name: str) -> str:
        """BLO id of a BLO id or name.

        Parameters
        ----------
        name
            ``BLO-05`` or ``Cau Treo``.

        Returns
        -------
        str
        """
        blos = self.blos
        for rec in blos.to_dict("records"):
            if _fold(name) in {_fold(str(rec.get(c, ""))) for c in ("id", "name", "name_vi")}:
                return str(rec["id"])
        raise UnknownNameError(f"unknown BLO {name!r}{did_you_mean(name, [*blos['id'], *blos['name']])}")

    def _edited_blos(self, edit: AddBLO | MoveBLO | RemoveBLO) -> gpd.GeoDataFrame:
        blos = self.blos.copy()
        if isinstance(edit, RemoveBLO):
            return blos[blos["id"] != self.resolve_blo(edit.blo)].reset_index(drop=True)
        lon, lat, gate, how, precision = self._site_of(edit)
        if isinstance(edit, MoveBLO):
            bid = self.resolve_blo(edit.blo)
            row = blos.index[blos["id"] == bid][0]
        else:
            bid = edit.id or f"NEW-{len([b for b in blos['id'] if str(b).startswith('NEW-')]) + 1:02d}"
            if bid in set(blos["id"]):
                raise ParameterError(f"BLO id {bid!r} exists already; give another id")
            row = len(blos)
            blos.loc[row, ["id", "name", "name_vi"]] = [bid, edit.name, edit.name]
        values = {
            "lon": lon,
            "lat": lat,
            "coord_source": f"scenario edit: {how}",
            "coord_precision_m": precision,
            "source": f"scenario edit ({edit.describe()})",
        }
        if gate is not None:
            values["associated_gate_id"] = gate
        for key, value in values.items():
            blos.loc[row, key] = value
        blos.loc[row, "geometry"] = shapely.Point(lon, lat)
        blos = gpd.GeoDataFrame(blos, geometry="geometry", crs="EPSG:4326")
        blo_sites(blos.loc[[row]], self.patrol, gates=self.gates)  # refuse, now, a BLO no rule can place
        return blos

    def _site_of(self, edit: AddBLO | MoveBLO) -> tuple[float, float, str | None, str, float]:
        if edit.at_gate is not None:
            gid = self.resolve_gates([edit.at_gate])[0]
            rec = self._facts.gates.set_index("id").loc[gid]
            how = f"at gate {gid} (its placed position)"
            return float(rec["lon"]), float(rec["lat"]), gid, how, float(rec.get("coord_precision_m", 0.0))
        lon, lat = float(edit.lon), float(edit.lat)
        if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise ParameterError(f"position {lon!r}, {lat!r} is not a longitude, latitude pair")
        problem = blo_site_problem(self._facts._region("a BLO position").countries, lon, lat)
        if problem is not None:
            raise problem
        return lon, lat, None, "given lon/lat", 0.0

    def _check_blo_hours(self) -> None:
        if not self.settings.blo_hours or self._facts.region is None:
            return
        current = [str(b) for b in self.blos["id"]]
        known = set(current) | {str(b) for b in self._facts.region.blos["id"]}  # a removed BLO's hours just lapse
        unknown = sorted(set(self.settings.blo_hours) - known)
        if unknown:
            raise ParameterError(
                f"blo_hours name unknown BLOs {', '.join(map(repr, unknown))}; use {', '.join(current)} "
                "(or the PatrolHours edit, which also takes BLO names)"
            )

    def _check_demand(self) -> None:
        unknown = [n for n in self.settings.demand if n not in self.destinations]
        if unknown:
            valid = ", ".join(self.destinations)
            raise ParameterError(f"demand names {', '.join(map(repr, unknown))}, not destinations; use {valid}")
        self._export_split()  # the port shares split the export demand, or this says why not
        self.origin_shares  # noqa: B018 (every origin with a share is a node, or this says which is not)


def blo_site_problem(countries: gpd.GeoDataFrame, lon: float, lat: float) -> ParameterError | None:
    """Return why a BLO cannot stand at ``lon``, ``lat`` (at sea, outside the region, in another country), or ``None``.

    Parameters
    ----------
    countries
        The region's countries (``iso_a3`` and polygons).
    lon, lat
        A finite position in degrees.

    Returns
    -------
    ParameterError or None
    """
    inside = countries[countries.geometry.covers(shapely.Point(lon, lat))]
    if inside.empty:
        return ParameterError(
            f"{lon:.4f} E {lat:.4f} N lies at sea or outside the region; a BLO stands on land in Vietnam "
            "(check the lon/lat order)"
        )
    iso = str(inside["iso_a3"].iloc[0])
    if iso != "VNM":
        return ParameterError(
            f"{lon:.4f} E {lat:.4f} N lies in {iso}, not in Vietnam; a BLO stands on the Vietnamese side "
            "(check the lon/lat order)"
        )
    return None


def _check_cost_bound(G: nx.Graph, weight: str = "cost") -> None:
    """Refuse edge costs so large that route sums could overflow (a reachable node would look unreachable)."""
    for u, v, w in G.edges(data=weight):
        if w > MAX_EDGE_COST_H:
            raise GraphContractError(
                [
                    f"edge {u!r} -> {v!r} has {weight} = {w!r}, above {MAX_EDGE_COST_H:g} h: sums of such costs "
                    "overflow; give costs in hours (or scale them down)"
                ]
            )


def as_scenario(obj: Scenario | nx.Graph, *, what: str = "this analysis", name: str = "scenario") -> Scenario:
    """Return the scenario an analysis runs on: a :class:`Scenario`, or a graph wrapped by :meth:`Scenario.from_graph`.

    Parameters
    ----------
    obj
        A scenario, or a graph with a ``cost`` on every edge.
    what
        The analysis (for messages).
    name
        Its parameter (for messages).

    Returns
    -------
    Scenario

    Raises
    ------
    ParameterError
        Neither a scenario nor a graph.
    """
    if isinstance(require(obj, (Scenario, nx.Graph), where=what, name=name, fix=SCENARIO_FIX), Scenario):
        return obj
    return Scenario.from_graph(obj)
