// Preloaded (`node --import`) into the Portkey gateway: its Node entry listens on every
// interface and has no option for the address, so the bench binds it to 127.0.0.1 instead
// (loopback only, like every other process of the bench). No effect on the request path.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    const cb = typeof args[1] === 'function' ? args[1] : args[2];
    return listen.call(this, args[0], '127.0.0.1', cb);
  }
  return listen.apply(this, args);
};
