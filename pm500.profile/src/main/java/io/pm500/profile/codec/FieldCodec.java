package io.pm500.profile.codec;

import io.pm500.api.profile.Field;
import io.pm500.api.profile.Transform;
import io.pm500.api.profile.WordOrder;
import io.pm500.api.sample.Value;

/** Decodes one field from 16-bit words; shared by the CIP and Modbus decoders. */
final class FieldCodec {
    /** Random access to unsigned 16-bit words. */
    interface Words {
        int word(int index);
    }

    /** Where encoded 16-bit words go. */
    interface WordSink {
        void word(int index, int value);
    }

    private FieldCodec() {
    }

    static Value decode(Field field, Words words, int at, WordOrder order) {
        return switch (field.type()) {
            case INT -> number(field, (short) words.word(at));
            case UINT -> number(field, words.word(at));
            case DINT -> number(field, (int) bits32(words, at, order));
            case UDINT -> number(field, bits32(words, at, order));
            case ULINT -> ulint(field, bits64(words, at, order));
            case REAL -> Value.of(Float.intBitsToFloat((int) bits32(words, at, order)) * field.scale());
            case REAL_PAIR -> {
                double high = Float.intBitsToFloat((int) bits32(words, at, order));
                double low = Float.intBitsToFloat((int) bits32(words, at + 2, order));
                yield Value.of((high * field.factor() + low) * field.scale());
            }
            case STRING -> Value.of(text(words, at, field.words()));
        };
    }

    /** The inverse of {@link #decode}: writes the field's words for a value (a simulator's side of the wire). */
    static void encode(Field field, Value value, WordSink out, int at, WordOrder order) {
        switch (field.type()) {
            case INT, UINT -> out.word(at, (int) raw(field, value) & 0xffff);
            case DINT, UDINT -> put32(out, at, raw(field, value), order);
            case ULINT -> put64(out, at, raw(field, value), order);
            case REAL -> put32(out, at, Float.floatToRawIntBits((float) (value.asDouble() / field.scale())), order);
            case REAL_PAIR -> {
                double total = value.asDouble() / field.scale();
                double high = Math.floor(total / field.factor());
                put32(out, at, Float.floatToRawIntBits((float) high), order);
                put32(out, at + 2, Float.floatToRawIntBits((float) (total - high * field.factor())), order);
            }
            case STRING -> {
                String text = value instanceof Value.Text t ? t.value() : String.valueOf(value.asDouble());
                for (int i = 0; i < field.words(); i++) {
                    int hi = 2 * i < text.length() ? text.charAt(2 * i) & 0xff : 0;
                    int lo = 2 * i + 1 < text.length() ? text.charAt(2 * i + 1) & 0xff : 0;
                    out.word(at + i, hi << 8 | lo);
                }
            }
        }
    }

    /** The raw integer that decodes to the value, undoing scale and transform. */
    private static long raw(Field field, Value value) {
        if (value instanceof Value.Int i && field.scale() == 1 && field.transform() == Transform.NONE) {
            return i.value();
        }
        double v = value.asDouble() / field.scale();
        if (field.transform() == Transform.HOURS_MINUTES) {
            long hours = (long) Math.floor(v);
            return hours * 100 + Math.min(59, Math.round((v - hours) * 60));
        }
        return Math.round(v);
    }

    private static void put32(WordSink out, int at, long bits, WordOrder order) {
        int high = (int) (bits >>> 16) & 0xffff;
        int low = (int) bits & 0xffff;
        out.word(at, order == WordOrder.HIGH_FIRST ? high : low);
        out.word(at + 1, order == WordOrder.HIGH_FIRST ? low : high);
    }

    private static void put64(WordSink out, int at, long bits, WordOrder order) {
        for (int i = 0; i < 4; i++) {
            int w = (int) (bits >>> (48 - 16 * i)) & 0xffff;
            out.word(order == WordOrder.HIGH_FIRST ? at + i : at + 3 - i, w);
        }
    }

    private static Value number(Field field, long raw) {
        if (field.transform() == Transform.HOURS_MINUTES) {
            return Value.of(((raw / 100) + (raw % 100) / 60.0) * field.scale());
        }
        return field.scale() == 1 ? Value.of(raw) : Value.of(raw * field.scale());
    }

    private static Value ulint(Field field, long raw) {
        if (raw >= 0) {
            return number(field, raw);
        }
        // Above Long.MAX_VALUE: no meter counts that far, but the number must still be right.
        double unsigned = (raw >>> 1) * 2.0 + (raw & 1);
        return Value.of(unsigned * field.scale());
    }

    private static long bits32(Words words, int at, WordOrder order) {
        int w0 = words.word(at);
        int w1 = words.word(at + 1);
        return order == WordOrder.HIGH_FIRST ? ((long) w0 << 16) | w1 : ((long) w1 << 16) | w0;
    }

    private static long bits64(Words words, int at, WordOrder order) {
        long value = 0;
        for (int i = 0; i < 4; i++) {
            int w = words.word(order == WordOrder.HIGH_FIRST ? at + i : at + 3 - i);
            value = (value << 16) | w;
        }
        return value;
    }

    private static String text(Words words, int at, int count) {
        char[] chars = new char[count * 2];
        int length = 0;
        for (int i = 0; i < count; i++) {
            int w = words.word(at + i);
            chars[length++] = (char) (w >>> 8);
            chars[length++] = (char) (w & 0xff);
        }
        while (length > 0 && (chars[length - 1] == 0 || chars[length - 1] == ' ')) {
            length--;
        }
        return new String(chars, 0, length);
    }
}
