// Public surface of server: DNS sockets (UDP and TCP) for a handler supplied by app.ts.
export {
  listenDns,
  type DnsHandler,
  type DnsListener,
  type ListenOptions,
} from './dns-listener.ts';
