// Preloaded into each node process of a recipe test (NODE_OPTIONS=--require): node's fetch
// and http ignore proxy variables, so every connection is checked here. One beyond loopback
// is written to $VOE_SPY_LOG as host:port and fails, as it would on a machine offline.
// npm itself is let through: it fetches packages, before a recipe's `eval`.
"use strict";
const fs = require("node:fs");
const net = require("node:net");

const LOG = process.env.VOE_SPY_LOG;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const npm = /[\\/]npm-cli\.js$/.test(process.argv[1] || "");

if (LOG && !npm) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    // net.connect() hands over [options, callback]; socket.connect(options | port, host).
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const options = typeof first === "object" && first !== null ? first : { port: first, host: args[1] };
    const host = options.host || "localhost";
    if (options.path === undefined && !LOOPBACK.has(host.replace(/^\[|\]$/g, ""))) {
      fs.appendFileSync(LOG, `${host}:${options.port}\n`);
      process.nextTick(() => this.destroy(new Error(`connection to ${host} refused by the test's spy`)));
      return this;
    }
    return connect.apply(this, args);
  };
}
