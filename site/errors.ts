import { defineCodedError } from '../protocol/index.js';

/** Expected failures of scanning and building a site: the CLI prints them and exits 1. */
export const SiteError = defineCodedError('SiteError', {
  'site-missing': 'the site directory does not exist',
  'site-not-directory': 'the site path is not a directory',
  'no-assets': 'no static assets found',
  'too-many-assets': 'the site has more assets than a manifest may list',
  'manifest-write-failed': 'could not write the manifest',
  'bad-exclude': 'an --exclude pattern is not usable',
});
export type SiteError = InstanceType<typeof SiteError>;
