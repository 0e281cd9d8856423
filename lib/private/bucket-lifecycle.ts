import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Noncurrent versions (overwritten or deleted objects) stay recoverable this long, then expire. */
export const NONCURRENT_VERSION_DAYS = 90;

/**
 * The lifecycle of every versioned bucket the constructs create: overwritten and deleted objects stay recoverable
 * for `NONCURRENT_VERSION_DAYS`, not forever; unfinished multipart uploads are cleaned up after a week. Current
 * objects are never expired by it.
 */
export function versionLifecycle(): s3.LifecycleRule[] {
  return [
    {
      id: 'ExpireNoncurrentVersions',
      noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    },
  ];
}
