#!/usr/bin/env node
// Exits 0 when a Redis answers at the given URL (default REDIS_URL or
// redis://127.0.0.1:6379), 1 otherwise. Plain Node: it runs before `npm ci`.
'use strict';
const net = require('node:net');
const tls = require('node:tls');

const url = new URL(process.argv[2] || process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const port = Number(url.port || 6379);
const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
const secure = url.protocol === 'rediss:';
const socket = secure
  ? tls.connect({ host, port, servername: host, rejectUnauthorized: false })
  : net.connect({ host, port });

const done = (ok) => {
  socket.destroy();
  process.exit(ok ? 0 : 1);
};
setTimeout(() => done(false), 1500).unref();
socket.on(secure ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
socket.on('data', (data) => {
  const reply = data.toString();
  // A password-protected server answers NOAUTH: it is there.
  done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH') || reply.startsWith('-WRONGPASS'));
});
socket.on('error', () => done(false));
