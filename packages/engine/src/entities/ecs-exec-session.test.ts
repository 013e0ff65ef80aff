import { describe, expect, it } from 'vitest';
import { alertEntities, rawEventEntities } from './entity-map.js';

// CloudTrail's record of `aws ecs execute-command` (shape from the ECS Exec docs): the answer
// names the SSM session the shell runs in.
const EXECUTE_COMMAND = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/dave@example.com',
    accountId: '111122223333',
  },
  eventTime: '2026-12-06T10:00:00Z',
  eventSource: 'ecs.amazonaws.com',
  eventName: 'ExecuteCommand',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.20',
  requestParameters: {
    cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/payments',
    container: 'app',
    command: '/bin/sh',
    interactive: true,
    task: 'arn:aws:ecs:eu-west-1:111122223333:task/payments/5a3f0e4f9f8f4c1b9c0f1d2e3a4b5c6d',
  },
  responseElements: {
    clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/payments',
    containerName: 'app',
    interactive: true,
    session: {
      sessionId: 'ecs-execute-command-0E86561fd71edd3a2',
      streamUrl:
        'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0E86561fd71edd3a2',
      tokenValue: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    },
    taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/payments/5a3f0e4f9f8f4c1b9c0f1d2e3a4b5c6d',
  },
  eventID: '0b4d1e0f-4d3c-4b1a-9f6e-2a7c8d9e0f1a',
};

describe('ECS Exec sessions', () => {
  it('name the session of an ExecuteCommand record, stored or alerted on', () => {
    const session = { kind: 'session', value: 'ecs-execute-command-0e86561fd71edd3a2' };
    expect(rawEventEntities('aws_cloudtrail', EXECUTE_COMMAND)).toContainEqual(session);
    expect(alertEntities('aws_cloudtrail', {}, null, { ts: '1', payload: EXECUTE_COMMAND })).toContainEqual(
      session,
    );
  });

  it('name the session of the shell the SSM session worker started inside the task', () => {
    const fields = {
      'container.id': '9c1d2e3f4a5b',
      'proc.name': 'sh',
      'proc.pid': 812,
      'proc.pcmdline':
        '/managed-agents/execute-command/ssm-session-worker ecs-execute-command-0e86561fd71edd3a2 ecs-execute-command-0e86561fd71edd3a2',
    };
    expect(alertEntities('syscall', fields, 'ip-10-0-1-23')).toContainEqual({
      kind: 'session',
      value: 'ecs-execute-command-0e86561fd71edd3a2',
    });
    // A shell started by anything else names no session.
    expect(
      alertEntities('syscall', { ...fields, 'proc.pcmdline': 'bash -l' }, 'ip-10-0-1-23').some(
        (e) => e.kind === 'session',
      ),
    ).toBe(false);
  });
});
