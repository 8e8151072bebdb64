"""Modbus TCP servers we did not write (Debian's pymodbus 3.x), serving a meter's registers for the driver tests.

Usage: /usr/bin/python3 pymodbus_meter.py SPEC.json

The spec names the registers (type, value) and the servers, each with its word order and a behaviour:
  normal             serves the registers; an address outside them gets pymodbus's exception 2
  late               every reply delayed by delayMillis
  wrong-tid          every reply carries the request's transaction id + 1
  close-after-reply  closes the connection after each reply
  never-answer       accepts connections and reads requests, never replies
A server answers only its own unit id: requests to another unit are dropped by pymodbus (a silent unit id).
Values are encoded by pymodbus's BinaryPayloadBuilder, not by our code. Each server binds an ephemeral port on
127.0.0.1. Standard output, one line each: "ready {name: port, ...}" once, then "conn NAME" per accepted connection
and "req NAME TID UNIT FC" per request frame as it arrives on the wire (counted before pymodbus decodes it).
"""
import asyncio
import json
import logging
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusConnectedRequestHandler, ModbusTcpServer

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def encode(entry, word_order):
    order = Endian.Little if word_order == "LOW_FIRST" else Endian.Big
    builder = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=order)
    kind, value = entry["type"], entry["value"]
    if kind == "INT":
        builder.add_16bit_int(int(value))
    elif kind == "UINT":
        builder.add_16bit_uint(int(value))
    elif kind == "DINT":
        builder.add_32bit_int(int(value))
    elif kind == "UDINT":
        builder.add_32bit_uint(int(value))
    elif kind == "ULINT":
        builder.add_64bit_uint(int(value))
    elif kind == "REAL":
        builder.add_32bit_float(float(value))
    elif kind == "STRING":
        builder.add_string(value.encode("ascii").ljust(2 * entry["words"], b"\0"))
    else:
        raise ValueError("unknown type " + kind)
    return builder.to_registers()


class PeerHandler(ModbusConnectedRequestHandler):
    """Counts what arrives, then behaves as the server's spec says."""

    def connection_made(self, transport):
        self.pending = b""
        emit("conn " + self.server.peer["name"])
        super().connection_made(transport)

    def data_received(self, data):
        self.pending += data
        while len(self.pending) >= 8:
            length = int.from_bytes(self.pending[4:6], "big")
            if len(self.pending) < 6 + length:
                break
            frame, self.pending = self.pending[:6 + length], self.pending[6 + length:]
            emit("req %s %d %d %d" % (self.server.peer["name"], int.from_bytes(frame[0:2], "big"), frame[6],
                                      frame[7]))
        if self.server.peer["behaviour"] != "never-answer":
            super().data_received(data)

    def send(self, message, *addr, **kwargs):
        peer = self.server.peer
        if peer["behaviour"] == "late":
            asyncio.get_running_loop().call_later(peer["delayMillis"] / 1000.0, self.send_now, message, addr,
                                                  kwargs)
        else:
            self.send_now(message, addr, kwargs)

    def send_now(self, message, addr, kwargs):
        if self.transport.is_closing():
            return
        if self.server.peer["behaviour"] == "wrong-tid":
            message.transaction_id = (message.transaction_id + 1) & 0xFFFF
        super().send(message, *addr, **kwargs)
        if self.server.peer["behaviour"] == "close-after-reply":
            self.transport.close()


async def main(spec):
    servers = []
    for peer in spec["servers"]:
        image = {3: {}, 4: {}}
        for entry in spec["registers"]:
            for i, word in enumerate(encode(entry, peer["wordOrder"])):
                image[entry["fc"]][entry["address"] + i] = word
        holes = {(fc, a) for fc, start, count in peer.get("omit", []) for a in range(start, start + count)}
        stores = {fc: ModbusSparseDataBlock({a: v for a, v in image[fc].items() if (fc, a) not in holes})
                  for fc in (3, 4)}
        unit = ModbusSlaveContext(hr=stores[3], ir=stores[4], zero_mode=True)
        server = ModbusTcpServer(ModbusServerContext(slaves={peer["unit"]: unit}, single=False),
                                 address=("127.0.0.1", 0), handler=PeerHandler, ignore_missing_slaves=True)
        server.peer = peer
        servers.append(server)
        asyncio.create_task(server.serve_forever())
        await server.serving
    emit("ready " + json.dumps({s.peer["name"]: s.server.sockets[0].getsockname()[1] for s in servers}))
    await asyncio.Event().wait()


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        asyncio.run(main(json.load(f)))
