import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../protos/gen/google/rpc/error_details';
import { Status as RpcStatus } from '../../protos/gen/google/rpc/status';
import { AppError } from './errors';
import { MAX_VIOLATIONS, toServiceError } from './grpc';
import { createLogger } from './log';

describe('the error boundary', () => {
  it('caps the violations of a refusal so it always fits the trailers (a huge one hangs the connection)', () => {
    const violations = Array.from({ length: 10_000 }, (_, i) => ({ field: `items[${i}].districtCode`, description: 'must not contain control characters' }));
    const se = toServiceError(new AppError('INVALID_ARGUMENT', 'CONTROL_CHARACTER', 'x'.repeat(1_000_000), violations), createLogger('test', 'silent'), 'r-1');
    expect(se.details!.length).toBeLessThan(5000);
    expect(se.details).toContain('and 9980 more');
    const bin = se.metadata!.get('grpc-status-details-bin')[0] as Buffer;
    expect(bin.length).toBeLessThan(10_000);
    const bad = RpcStatus.decode(bin).details.find((d) => d.typeUrl.endsWith('BadRequest'))!;
    expect(BadRequest.decode(bad.value).fieldViolations).toHaveLength(MAX_VIOLATIONS);
  });
});
