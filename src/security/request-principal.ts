declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: an API key id, or `anonymous` when the API is open. */
    principal?: string;
    /** Whether the key presented is one of ADMIN_API_KEYS. */
    isAdmin?: boolean;
  }
}

export {};
