"""A run (or any activity) as backcoach keeps it: a summary, built while a file streams past.

Pure Python. The file readers (``backcoach.adapters.activities``) decode FIT, GPX and TCX
and feed each recorded point to a :class:`SummaryBuilder`; no list of points is ever held,
so a year of 1 Hz runs imports in constant memory.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Final, NamedTuple

EARTH_RADIUS_M: Final = 6_371_000.0
# A step between two timed points counts as moving time when its average speed, height
# change included, is above 1 km/h: gpxpy's definition (``get_moving_data``, its default
# ``stopped_speed_threshold``), the oracle issue 5 names, so that a GPX file's moving time
# here is the one people get from gpxpy-based tools. A step of any length counts: a watch
# that saves points sparsely ("smart recording") or loses signal in a tunnel is still
# moving, and an auto-paused watch's long step is slow, so it is not.
MOVING_SPEED_M_S: Final = 1 / 3.6


class ActivityFileError(ValueError):
    """A file that cannot be imported; the message is the reason shown to the person."""


class NotAnActivityError(ActivityFileError):
    """A valid file that holds no activity (a FIT monitoring or settings file): skipped."""


class ActivitySummary(NamedTuple):
    sport: str  # lower case: "running", "walking", "cycling", "swimming", "other", ...
    start: datetime  # aware; UTC
    elapsed_s: float
    moving_s: float
    distance_m: float | None
    elevation_gain_m: float | None
    avg_hr: float | None
    max_hr: int | None
    avg_cadence: float | None  # per minute, as the file records it
    device: str | None
    points: int  # records read
    has_positions: bool  # False for a treadmill run
    truncated: bool = False  # the file broke off; the summary covers the records before
    perceived_exertion: float | None = None  # 1-10, when the source says (Strava)
    name: str | None = None
    source_id: str | None = None  # the source's own id (Strava's Activity ID)


def average_pace(activity: ActivitySummary) -> float | None:
    """Seconds per kilometre over the moving time (the elapsed time if none was moving);
    None without a distance or a time."""
    if not activity.distance_m or activity.distance_m < 1:
        return None
    seconds = activity.moving_s or activity.elapsed_s
    return seconds / (activity.distance_m / 1000) if seconds else None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    # Clamped: rounding (or a latitude past a pole in a damaged file) can push a outside
    # 0..1, where sqrt and asin are undefined.
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, a))))


class SummaryBuilder:
    """Accumulates points (time in Unix seconds, position in degrees, elevation in metres,
    heart rate, cadence, the device's cumulative distance in metres; any may be None) into
    an :class:`ActivitySummary`, in constant memory.

    Distance and climb are computed as gpxpy computes them, so that a GPX file gives the
    same numbers here as in the tools people compare with. Distance is the horizontal
    (2-D) length, each step measured as gpxpy does on a flat-earth approximation (within
    0.001% of :func:`haversine_m` for steps under 0.2 degrees; longer steps use it), but on
    haversine_m's mean earth radius: gpxpy's equatorial radius makes its lengths 0.11%
    longer. Climb is :func:`elevation_gain`'s smoothed rise. Both are per segment:
    :meth:`break_segment` marks a gap (a GPX ``<trkseg>`` or ``<trk>``, a TCX ``<Track>``)
    across which no distance, climb or moving time is counted. Elapsed time is wall-clock,
    first point to last, gaps included (Strava's "Elapsed Time"). Moving time is gpxpy's:
    the steps between timed points whose speed is above MOVING_SPEED_M_S, the step's
    distance being the horizontal distance covered since the previous timed point (the
    device's own distance when the file has one) with the height change added (3-D) when
    both points have an elevation."""

    # Metres per degree of latitude (and of longitude at the equator) on the sphere of
    # haversine_m, so that short and long steps agree; written out in add() for speed.
    M_PER_DEGREE: Final = EARTH_RADIUS_M * math.pi / 180.0  # 111_194.92664455873
    # Steps longer than this (in degrees of latitude or longitude) use haversine_m.
    FLAT_DEGREES: Final = 0.2

    def __init__(self) -> None:
        self.points = 0
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.moving_s = 0.0
        self.position_m = 0.0  # summed from positions, within segments
        self.device_distance: float | None = None  # the largest cumulative distance seen
        self.has_positions = False
        self._last_lat: float | None = None  # the segment's previous position
        self._last_lon = 0.0
        self._last_t: float | None = None  # the previous timed point, for moving time
        self._last_d = 0.0  # ... and the distance travelled by then
        self._last_ele: float | None = None  # ... and its elevation
        # Climb, streamed: the segment's last two raw elevations, how many it has had, the
        # last smoothed elevation, the climb so far (closed segments and this one).
        self._ele_2 = 0.0
        self._ele_1 = 0.0
        self._ele_n = 0
        self._ele_s = 0.0
        self._ele_seen = False
        self._climb = 0.0
        self.hr_sum = 0.0
        self.hr_count = 0
        self.max_hr: int | None = None
        self.cad_sum = 0.0
        self.cad_count = 0

    def add(
        self,
        t: float | None,
        lat: float | None = None,
        lon: float | None = None,
        ele: float | None = None,
        hr: float | None = None,
        cad: float | None = None,
        distance: float | None = None,
    ) -> None:
        self.points += 1
        if lat is not None and lon is not None:
            last_lat = self._last_lat
            if last_lat is not None:
                dlat = lat - last_lat
                dlon = lon - self._last_lon
                if -0.2 <= dlat <= 0.2 and -0.2 <= dlon <= 0.2:  # FLAT_DEGREES
                    # cos of the mean latitude (pi / 360: degrees to radians, halved)
                    dx = dlon * math.cos((lat + last_lat) * 0.008726646259971648)
                    self.position_m += math.sqrt(dlat * dlat + dx * dx) * 111_194.92664455873
                else:
                    self.position_m += haversine_m(last_lat, self._last_lon, lat, lon)
            else:
                self.has_positions = True
            self._last_lat = lat
            self._last_lon = lon
        if distance is not None:
            device = self.device_distance
            if device is None or distance > device:
                self.device_distance = distance
        if t is not None:
            last_t = self.last_t
            if last_t is None:
                self.first_t = self.last_t = t
            elif t > last_t:
                self.last_t = t
            device = self.device_distance
            travelled = self.position_m if device is None else device
            previous_t = self._last_t
            if previous_t is not None:
                dt = t - previous_t
                if dt > 0 and _moving(travelled - self._last_d, ele, self._last_ele, dt):
                    self.moving_s += dt
            self._last_t = t
            self._last_d = travelled
            self._last_ele = ele
        if ele is not None:
            n = self._ele_n
            if n >= 2:  # the previous point's smoothed elevation is now known
                smoothed = 0.3 * self._ele_2 + 0.4 * self._ele_1 + 0.3 * ele
                if smoothed > self._ele_s:
                    self._climb += smoothed - self._ele_s
                self._ele_s = smoothed
            elif n == 0:
                self._ele_s = ele  # the first point of a segment is not smoothed
                self._ele_seen = True
            self._ele_2 = self._ele_1
            self._ele_1 = ele
            self._ele_n = n + 1
        if hr is not None and hr > 0:
            self.hr_sum += hr
            self.hr_count += 1
            if self.max_hr is None or hr > self.max_hr:
                self.max_hr = int(hr)
        if cad is not None and cad > 0:
            self.cad_sum += cad
            self.cad_count += 1

    def add_points(
        self,
        points: list[
            tuple[
                float | None, float | None, float | None, float | None, float | None, float | None
            ]
        ],
    ) -> None:
        """``add(t, lat, lon, ele, hr, cad)`` for each ``(t, lat, lon, ele, hr, cad)`` in
        turn (no device distance), with the same results to the last bit, but with the
        state in local variables while the loop runs: about a third less time per point,
        for readers that collect points in batches (the GPX reader)."""
        if not points:
            return
        if self.device_distance is not None:  # (not from the readers that batch)
            for t, lat, lon, ele, hr, cad in points:
                self.add(t, lat, lon, ele, hr, cad)
            return
        cos = math.cos
        sqrt = math.sqrt
        last_lat = self._last_lat
        last_lon = self._last_lon
        position_m = self.position_m
        has_positions = self.has_positions
        first_t = self.first_t
        last_t = self.last_t
        moving_s = self.moving_s
        previous_t = self._last_t
        previous_d = self._last_d
        previous_ele = self._last_ele
        speed = MOVING_SPEED_M_S
        ele_2 = self._ele_2
        ele_1 = self._ele_1
        ele_n = self._ele_n
        ele_s = self._ele_s
        ele_seen = self._ele_seen
        climb = self._climb
        hr_sum = self.hr_sum
        hr_count = self.hr_count
        max_hr = self.max_hr
        cad_sum = self.cad_sum
        cad_count = self.cad_count
        for t, lat, lon, ele, hr, cad in points:
            if lat is not None and lon is not None:
                if last_lat is not None:
                    dlat = lat - last_lat
                    dlon = lon - last_lon
                    if -0.2 <= dlat <= 0.2 and -0.2 <= dlon <= 0.2:  # as in add()
                        dx = dlon * cos((lat + last_lat) * 0.008726646259971648)
                        position_m += sqrt(dlat * dlat + dx * dx) * 111_194.92664455873
                    else:
                        position_m += haversine_m(last_lat, last_lon, lat, lon)
                else:
                    has_positions = True
                last_lat = lat
                last_lon = lon
            if t is not None:
                if last_t is None:
                    first_t = last_t = t
                elif t > last_t:
                    last_t = t
                if previous_t is not None:
                    dt = t - previous_t
                    if dt > 0:  # _moving(), written out
                        step = position_m - previous_d
                        limit = speed * dt
                        if step > limit or (
                            ele is not None
                            and previous_ele is not None
                            and step * step + (ele - previous_ele) ** 2 > limit * limit
                        ):
                            moving_s += dt
                previous_t = t
                previous_d = position_m
                previous_ele = ele
            if ele is not None:
                if ele_n >= 2:
                    smoothed = 0.3 * ele_2 + 0.4 * ele_1 + 0.3 * ele
                    if smoothed > ele_s:
                        climb += smoothed - ele_s
                    ele_s = smoothed
                elif ele_n == 0:
                    ele_s = ele
                    ele_seen = True
                ele_2 = ele_1
                ele_1 = ele
                ele_n += 1
            if hr is not None and hr > 0:
                hr_sum += hr
                hr_count += 1
                if max_hr is None or hr > max_hr:
                    max_hr = int(hr)
            if cad is not None and cad > 0:
                cad_sum += cad
                cad_count += 1
        self.points += len(points)
        self._last_lat = last_lat
        self._last_lon = last_lon
        self.position_m = position_m
        self.has_positions = has_positions
        self.first_t = first_t
        self.last_t = last_t
        self.moving_s = moving_s
        self._last_t = previous_t
        self._last_d = previous_d
        self._last_ele = previous_ele
        self._ele_2 = ele_2
        self._ele_1 = ele_1
        self._ele_n = ele_n
        self._ele_s = ele_s
        self._ele_seen = ele_seen
        self._climb = climb
        self.hr_sum = hr_sum
        self.hr_count = hr_count
        self.max_hr = max_hr
        self.cad_sum = cad_sum
        self.cad_count = cad_count

    def break_segment(self) -> None:
        """The next point starts a new segment: the step from the last point is not
        counted in the distance, the climb or the moving time (as gpxpy does)."""
        self._climb += self._pending_climb()
        self._ele_n = 0
        self._last_lat = None
        self._last_t = None

    def _pending_climb(self) -> float:
        """The rise to the segment's last point, which is not smoothed."""
        if self._ele_n >= 2 and self._ele_1 > self._ele_s:
            return self._ele_1 - self._ele_s
        return 0.0

    def elevation_gain(self) -> float | None:
        return self._climb + self._pending_climb() if self._ele_seen else None

    def summary(
        self,
        *,
        sport: str,
        device: str | None = None,
        start: datetime | None = None,
        truncated: bool = False,
        name: str | None = None,
    ) -> ActivitySummary:
        """The summary; ActivityFileError when no point had a time and no start is given."""
        if start is None:
            if self.first_t is None:
                raise ActivityFileError("no timestamps: cannot tell when the activity was")
            start = datetime.fromtimestamp(self.first_t, UTC)
        first_t, last_t = self.first_t, self.last_t
        elapsed = last_t - first_t if first_t is not None and last_t is not None else 0.0
        distance = self.device_distance
        if distance is None and self.has_positions:
            distance = self.position_m
        return ActivitySummary(
            sport=sport,
            start=start,
            elapsed_s=float(elapsed),
            moving_s=self.moving_s,
            distance_m=distance,
            elevation_gain_m=self.elevation_gain(),
            avg_hr=self.hr_sum / self.hr_count if self.hr_count else None,
            max_hr=self.max_hr,
            avg_cadence=self.cad_sum / self.cad_count if self.cad_count else None,
            device=device,
            points=self.points,
            has_positions=self.has_positions,
            truncated=truncated,
            name=name,
        )


def _moving(step_m: float, ele: float | None, previous_ele: float | None, dt: float) -> bool:
    """Whether a step of ``step_m`` horizontal metres in ``dt`` (> 0) seconds was moving:
    faster than MOVING_SPEED_M_S, counting the climb or descent when both ends have an
    elevation (compared squared, to spare a square root on every point)."""
    limit = MOVING_SPEED_M_S * dt
    if step_m > limit:
        return True
    if ele is None or previous_ele is None:
        return False
    return step_m * step_m + (ele - previous_ele) ** 2 > limit * limit


def elevation_gain(elevations: list[float]) -> float:
    """Total climb in metres: the sum of rises after a light smoothing (each point
    averaged with its neighbours, weights 0.3/0.4/0.3; the first and last points as they
    are), as gpxpy computes "uphill" for one segment, so that GPS and barometer noise does
    not add up to hills that were not there. :class:`SummaryBuilder` computes the same
    while streaming, without holding the list."""
    climb = 0.0
    n = len(elevations)
    if n < 2:
        return climb
    last = elevations[0]  # the smoothed elevation of the previous point
    for i in range(1, n - 1):
        smoothed = 0.3 * elevations[i - 1] + 0.4 * elevations[i] + 0.3 * elevations[i + 1]
        if smoothed > last:
            climb += smoothed - last
        last = smoothed
    if elevations[-1] > last:
        climb += elevations[-1] - last
    return climb
