import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type TopicConfiguration,
} from "@aws-sdk/client-s3";
import type { ServerConfig } from "../config/config.js";
import { createRgwTopic } from "./rgw-topics.js";
import type { S3Backend } from "./s3-backend.js";

/** The id of the bucket notification presignd configures (others on the bucket are kept). */
export const NOTIFICATION_ID = "presignd";

export const NOTIFICATION_EVENTS = ["s3:ObjectCreated:*"] as const;

export interface NotificationSetup {
  /** The topic's name (RGW: one per tenant). */
  readonly topic: string;
  /** presignd's POST /s3-notifications as RGW reaches it. */
  readonly pushEndpoint: string;
  readonly persistent: boolean;
}

/** What setup did, one line each. */
export type SetupStep = { readonly bucket?: string; readonly did: string };

/**
 * Creates (or updates) the RGW topic pushing to presignd with the
 * notification secret as its OpaqueData, then sets each bucket's
 * notification `presignd` for s3:ObjectCreated:* to it, keeping the bucket's
 * other notifications. Running it again changes nothing that is already so.
 */
export async function setupNotifications(
  config: ServerConfig,
  backend: S3Backend,
  setup: NotificationSetup,
): Promise<SetupStep[]> {
  const secret = config.notificationSecret;
  if (!secret) throw new Error("no --notification-secret (PRESIGND_NOTIFICATION_SECRET): set it as serve has it");
  if (!config.endpoint)
    throw new Error(
      "no --endpoint: AWS S3 has no HTTP push topics; see the README (Knowing when uploads land) for what presignd supports there",
    );
  const steps: SetupStep[] = [];
  const region = backend.internalEndpoints.get(backend.defaultBucket)?.region ?? config.region ?? "us-east-1";
  const arn = await createRgwTopic({ url: config.endpoint, region }, await backend.credentials(), {
    name: setup.topic,
    pushEndpoint: setup.pushEndpoint,
    opaqueData: secret,
    persistent: setup.persistent,
  });
  steps.push({
    did: `topic ${setup.topic}: created or updated (${arn}), push-endpoint ${setup.pushEndpoint}, persistent ${setup.persistent}`,
  });
  for (const bucket of config.buckets) {
    const client = backend.sdkClient(bucket);
    const current = await client.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    const topics = current.TopicConfigurations ?? [];
    const ours = topics.find((t) => t.Id === NOTIFICATION_ID);
    if (ours?.TopicArn === arn && sameEvents(ours.Events ?? [])) {
      steps.push({ bucket, did: `notification ${NOTIFICATION_ID} already sends ${NOTIFICATION_EVENTS} to ${arn}` });
      continue;
    }
    const wanted: TopicConfiguration = { Id: NOTIFICATION_ID, TopicArn: arn, Events: [...NOTIFICATION_EVENTS] };
    await client.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          TopicConfigurations: [...topics.filter((t) => t.Id !== NOTIFICATION_ID), wanted],
          ...(current.QueueConfigurations?.length ? { QueueConfigurations: current.QueueConfigurations } : {}),
          ...(current.LambdaFunctionConfigurations?.length
            ? { LambdaFunctionConfigurations: current.LambdaFunctionConfigurations }
            : {}),
        },
      }),
    );
    steps.push({
      bucket,
      did: `notification ${NOTIFICATION_ID} ${ours ? "updated" : "created"}: ${NOTIFICATION_EVENTS} → ${arn}`,
    });
  }
  return steps;
}

function sameEvents(events: readonly string[]): boolean {
  return events.length === NOTIFICATION_EVENTS.length && NOTIFICATION_EVENTS.every((e) => events.includes(e));
}
