package io.pm500.status.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class SeriesTest {

    @Test
    void keepsTheNewestPointsOldestFirstAndShowsGapsAsNull() {
        Series s = new Series(3, 2);
        ObjectNode empty = StatusJson.JSON.createObjectNode();
        s.write(empty, "a", "b");
        assertThat(empty.toString()).isEqualTo("{\"t\":[],\"a\":[],\"b\":[]}");
        for (int i = 1; i <= 4; i++) {
            s.add(i * 1000L, i, i == 3 ? Double.NaN : i * 10);
        }
        ObjectNode out = StatusJson.JSON.createObjectNode();
        s.write(out, "a", "b");
        assertThat(out.toString()).isEqualTo("{\"t\":[2000,3000,4000],\"a\":[2.0,3.0,4.0],\"b\":[20.0,null,40.0]}");
    }
}
