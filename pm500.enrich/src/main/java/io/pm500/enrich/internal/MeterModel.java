package io.pm500.enrich.internal;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.Point;
import io.pm500.api.profile.PointKind;
import io.pm500.api.profile.Transform;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Units;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One meter's enrichment, computed once per configuration: for each point of its profile the published unit,
 * the factor that brings the decoded value there (transformer ratio × unit conversion), and the points of each
 * block (to stamp every point of a block whose read failed). All but the asset depends only on the profile and the
 * transformer ratios, and is shared ({@link Scaled}) by the meters that have the same ones: 114 metrics per meter
 * were a sixth of the gateway's heap per meter.
 */
final class MeterModel {

    /** How one metric is published. {@code kind} is null for a point the profile does not know. */
    record Metric(String name, String unit, Phase phase, PointKind kind, double factor) {
    }

    /** A derived metric with its unit and phase resolved. */
    record DerivedMetric(Derived spec, Metric metric) {
    }

    /** The part of a model that meters of one profile and the same transformer ratios share. Immutable. */
    static final class Scaled {
        private final DeviceProfile profile;
        private final Map<String, Metric> metrics = new HashMap<>();
        private final Map<String, List<String>> blockPoints = new HashMap<>();
        /** Per block, the value shape each of its points decodes to. */
        private final Map<String, Map<String, MetricInfo.Kind>> blockKinds = new HashMap<>();
        private final List<DerivedMetric> derived;

        Scaled(DeviceProfile profile, EnrichSettings settings, double ctRatio, double vtRatio) {
            this.profile = profile;
            profile.points().forEach((id, point) -> metrics.put(id, metric(id, point, settings, ctRatio, vtRatio)));
            for (CipBlock b : profile.cip().blocks()) {
                blockPoints.put(b.id(), points(b.fields()));
                blockKinds.put(b.id(), kinds(b.fields()));
            }
            for (ModbusBlock b : profile.modbus().blocks()) {
                blockPoints.put(b.id(), points(b.fields()));
                blockKinds.put(b.id(), kinds(b.fields()));
            }
            derived = settings.derived().stream().filter(d -> d.inputs().stream().allMatch(metrics::containsKey))
                    .map(d -> new DerivedMetric(d, derivedMetric(d))).toList();
        }

        private Metric derivedMetric(Derived d) {
            Metric first = metrics.get(d.inputs().get(0));
            return d.function() == Derived.Function.UNBALANCE ? new Metric(d.metric(), "%", Phase.TOTAL, null, 1)
                    : new Metric(d.metric(), first.unit(), Phase.TOTAL, first.kind(), 1);
        }
    }

    private final AssetInfo asset;
    private final Scaled scaled;

    MeterModel(AssetInfo asset, Scaled scaled) {
        this.asset = asset;
        this.scaled = scaled;
    }

    AssetInfo asset() {
        return asset;
    }

    DeviceProfile profile() {
        return scaled.profile;
    }

    /** The metric for a point id; a point the profile lacks is published as it came, without range checks. */
    Metric metric(String pointId) {
        Metric m = scaled.metrics.get(pointId);
        return m != null ? m : new Metric(pointId, "", Phase.NONE, null, 1);
    }

    /** The point ids a block reads, or empty if the profile has no such block. */
    Optional<List<String>> blockPoints(String blockId) {
        return Optional.ofNullable(scaled.blockPoints.get(blockId));
    }

    List<DerivedMetric> derived() {
        return scaled.derived;
    }

    /**
     * What this meter publishes when its driver reads these blocks: their points in block and field order, each in the shape
     * it reaches sinks (an integer stays one only while the scaling factor is whole, as {@link Enricher#scale} does),
     * then the derived metrics whose inputs are all read.
     */
    List<MetricInfo> catalog(Collection<String> blockIds) {
        Map<String, MetricInfo.Kind> read = new LinkedHashMap<>();
        for (String block : blockIds) {
            for (String point : scaled.blockPoints.getOrDefault(block, List.of())) {
                read.merge(point, scaled.blockKinds.get(block).get(point),
                        (a, b) -> a == b ? a : MetricInfo.Kind.REAL);
            }
        }
        List<MetricInfo> out = new ArrayList<>();
        read.forEach((point, kind) -> {
            Metric m = metric(point);
            boolean exact = m.factor() == Math.rint(m.factor()) && Math.abs(m.factor()) < 0x1p62;
            out.add(new MetricInfo(point, m.phase(), m.unit(),
                    kind == MetricInfo.Kind.INT && !exact ? MetricInfo.Kind.REAL : kind));
        });
        for (DerivedMetric d : scaled.derived) {
            if (d.spec().inputs().stream().allMatch(read::containsKey)) {
                Metric m = d.metric();
                out.add(new MetricInfo(m.name(), m.phase(), m.unit(), MetricInfo.Kind.REAL));
            }
        }
        return out;
    }

    /**
     * Checks the unit overrides against this profile: an override naming one metric must be convertible; a
     * {@code prefix.*} override applies only where it is.
     */
    static void checkOverrides(DeviceProfile profile, EnrichSettings settings) {
        for (EnrichSettings.UnitOverride o : settings.unitOverrides()) {
            if (o.isPattern()) {
                continue;
            }
            Point p = profile.points().get(o.pattern());
            if (p != null && Units.factor(p.unit(), o.unit()).isEmpty()) {
                throw new IllegalArgumentException("pipeline: unit override " + o.pattern() + "=" + o.unit()
                        + ": the profile '" + profile.model() + "' gives " + o.pattern() + " in '" + p.unit()
                        + "', which does not convert to '" + o.unit() + "'");
            }
        }
    }

    private static Metric metric(String id, Point point, EnrichSettings settings, double ctRatio, double vtRatio) {
        double ratio = switch (point.scaling()) {
            case NONE -> 1;
            case CT -> ctRatio;
            case VT -> vtRatio;
            case CT_VT -> ctRatio * vtRatio;
        };
        String unit = point.unit();
        double factor = ratio;
        for (EnrichSettings.UnitOverride o : settings.unitOverrides()) {
            Optional<Double> f = o.matches(id) ? Units.factor(point.unit(), o.unit()) : Optional.empty();
            if (f.isPresent()) {
                unit = o.unit();
                factor = ratio * f.get();
                if (!o.isPattern()) {
                    break; // an exact override wins over a pattern listed before it
                }
            }
        }
        return new Metric(id, unit, point.phase(), point.kind(), factor);
    }

    private static Map<String, MetricInfo.Kind> kinds(List<Field> fields) {
        Map<String, MetricInfo.Kind> kinds = new HashMap<>();
        for (Field f : fields) {
            if (f.point() != null && !f.point().isEmpty()) {
                kinds.merge(f.point(), kind(f), (a, b) -> a == b ? a : MetricInfo.Kind.REAL);
            }
        }
        return kinds;
    }

    /** The shape {@code FieldCodec} of the profile bundle decodes a field to. */
    private static MetricInfo.Kind kind(Field f) {
        return switch (f.type()) {
            case STRING -> MetricInfo.Kind.TEXT;
            case REAL, REAL_PAIR -> MetricInfo.Kind.REAL;
            default -> f.scale() == 1 && f.transform() == Transform.NONE ? MetricInfo.Kind.INT : MetricInfo.Kind.REAL;
        };
    }

    private static List<String> points(List<Field> fields) {
        return fields.stream().map(Field::point).filter(p -> p != null && !p.isEmpty()).toList();
    }
}
