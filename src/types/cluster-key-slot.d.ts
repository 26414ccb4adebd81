/** The hash slot (0-16383) of a key, honouring `{hash tags}`: ioredis's own dependency. */
declare module 'cluster-key-slot' {
  function calculateSlot(key: string | Buffer): number;
  export = calculateSlot;
}
