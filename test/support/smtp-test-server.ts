import type { Socket } from 'node:net';
import { SMTPServer, SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { freePort } from './redis-server';

/** One message the server accepted. */
export interface ReceivedMail {
  raw: Buffer;
  rcptTo: string[];
  /** Whether the session was encrypted (smtps://, or after STARTTLS). */
  secure: boolean;
  /** The user the session authenticated as, if any. */
  user: string | undefined;
}

export interface AuthAttempt {
  method: string;
  username: string;
  password: string;
  secure: boolean;
  accepted: boolean;
}

export interface TestSmtpServerOptions {
  /** TLS from the first byte (smtps://); needs `tls`. */
  implicitTls?: boolean;
  /** Key and certificate: offered through STARTTLS unless `starttls` is false. */
  tls?: { key: string; cert: string };
  /** Whether STARTTLS is offered (with `tls`). */
  starttls?: boolean;
  /** Require AUTH with these credentials and mechanisms (e.g. ['PLAIN'] or ['LOGIN']). */
  auth?: { user: string; pass: string; methods: string[] };
  /** Delay before the greeting, ms. */
  greetingDelayMs?: number;
  /** Called for each DATA transaction: return 'drop' to cut the connection mid-DATA,
   * a number to delay the reply by that many ms, or nothing to accept. */
  onMessage?: (index: number) => 'drop' | number | void;
}

/**
 * A real SMTP server (smtp-server) on a free 127.0.0.1 port, configured per test:
 * TLS (implicit or STARTTLS), AUTH mechanisms, and misbehaviour on demand (a slow
 * greeting, a slow reply, a connection dropped mid-DATA). Records the connections,
 * authentication attempts and accepted messages it saw.
 */
export class TestSmtpServer {
  readonly messages: ReceivedMail[] = [];
  readonly authAttempts: AuthAttempt[] = [];
  /** TCP connections accepted so far. */
  connections = 0;
  /** DATA transactions started (accepted, dropped or delayed). */
  dataTransactions = 0;
  /** The password the server accepts now (a test may "fix" the server side). */
  password: string | undefined;
  private readonly sockets = new Map<number, Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: SMTPServer;
  port = 0;

  constructor(private readonly options: TestSmtpServerOptions = {}) {
    this.password = options.auth?.pass;
    const disabled: string[] = [];
    if (!options.auth) disabled.push('AUTH');
    if (!options.tls || options.starttls === false || options.implicitTls)
      disabled.push('STARTTLS');
    this.server = new SMTPServer({
      secure: options.implicitTls ?? false,
      ...(options.tls ?? {}),
      disabledCommands: disabled,
      authMethods: options.auth?.methods,
      authOptional: !options.auth,
      logger: false,
      closeTimeout: 500,
      onConnect: (_session, callback) => {
        if (options.greetingDelayMs) this.later(options.greetingDelayMs, () => callback());
        else callback();
      },
      onAuth: (auth, session, callback) => this.onAuth(auth, session, callback),
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
    this.server.on('error', () => undefined); // clients cut off on purpose
    // The raw sockets, by client port: to cut a connection mid-DATA.
    const net = (this.server as unknown as { server: import('node:net').Server }).server;
    net.on('connection', (socket: Socket) => {
      this.connections += 1;
      const port = socket.remotePort as number;
      this.sockets.set(port, socket);
      socket.once('close', () => this.sockets.delete(port));
    });
  }

  static async start(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
    const server = new TestSmtpServer(options);
    server.port = await freePort();
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(server.port, '127.0.0.1', () => resolve());
    });
    return server;
  }

  /**
   * Stops listening; smtp-server ends open sessions after its closeTimeout. The raw
   * sockets are left alone here: destroying one under a TLS handshake that failed
   * crashes Node 20 (a segmentation fault).
   */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (err: Error | null | undefined, response?: { user?: string }) => void,
  ): void {
    const accepted = auth.username === this.options.auth?.user && auth.password === this.password;
    this.authAttempts.push({
      method: auth.method,
      username: auth.username ?? '',
      password: auth.password ?? '',
      secure: session.secure,
      accepted,
    });
    if (accepted) callback(null, { user: auth.username });
    else
      callback(
        Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }),
      );
  }

  private onData(
    stream: NodeJS.ReadableStream,
    session: SMTPServerSession,
    callback: (err?: Error | null) => void,
  ): void {
    const index = this.dataTransactions++;
    const behaviour = this.options.onMessage?.(index);
    const chunks: Buffer[] = [];
    if (behaviour === 'drop') {
      // Cut the TCP connection as soon as the first bytes of the message arrive
      // (used on plain connections only: see close()).
      stream.once('data', () => this.sockets.get(session.remotePort)?.destroy());
      stream.resume();
      return;
    }
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const accept = (): void => {
        this.messages.push({
          raw: Buffer.concat(chunks),
          rcptTo: session.envelope.rcptTo.map((a) => a.address),
          secure: session.secure,
          user: session.user,
        });
        callback(null);
      };
      if (typeof behaviour === 'number') this.later(behaviour, accept);
      else accept();
    });
  }
}
