import type { NextConfig } from 'next';

const config: NextConfig = {
  // This repository's `npm test` type-checks the app with all its other code before it builds it, so
  // its test build (FETCH_EVENTSOURCE_TYPECHECKED=1) skips Next's second pass over the same files. Unset,
  // as in an app of your own, `next build` type-checks as usual.
  typescript: { ignoreBuildErrors: process.env.FETCH_EVENTSOURCE_TYPECHECKED === '1' },
};

export default config;
