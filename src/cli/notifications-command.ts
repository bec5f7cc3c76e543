import { Command } from "commander";
import { helpExamples } from "./help-examples.js";
import { addServeOptions, settingLayers } from "./serve-options.js";

interface SetupFlags {
  pushEndpoint: string;
  topic: string;
  persistent?: boolean;
}

const PATH = "/s3-notifications";

/**
 * `presignd notifications setup`: with serve's settings and credentials, the
 * Ceph RGW topic and bucket notifications that push object creations to
 * presignd's POST /s3-notifications.
 */
export function notificationsCommand(): Command {
  const notifications = new Command("notifications").description(
    "S3 bucket notifications to presignd's /s3-notifications (Ceph RGW), with serve's settings",
  );
  const setup = addServeOptions(
    new Command("setup").description(
      "create the RGW topic (push-endpoint, OpaqueData = --notification-secret) and each bucket's s3:ObjectCreated:* notification; idempotent",
    ),
  )
    .requiredOption("--push-endpoint <url>", `presignd's ${PATH} URL as RGW reaches it (serve's --endpoint is S3's)`)
    .option("--topic <name>", "the topic's name", "presignd")
    .option("--persistent", "a persistent topic: RGW queues and retries each notification (see the README)")
    .addHelpText(
      "after",
      helpExamples(
        `presignd notifications setup --config presignd.yaml --push-endpoint http://presignd.internal:8080${PATH}`,
        `presignd notifications setup -b data --endpoint http://rgw:7480 --notification-secret "$SECRET" --push-endpoint http://10.0.0.5:8080${PATH}`,
      ),
    )
    .action(async (_options: unknown, command: Command) => {
      const flags = command.opts() as SetupFlags;
      const url = pushEndpoint(flags.pushEndpoint);
      const [{ configFromLayers }, { createLogger }, { createS3Backend }, { setupNotifications }] = await Promise.all([
        import("../server/config/layers.js"),
        import("../server/logging/logger.js"),
        import("../server/s3/s3-backend.js"),
        import("../server/s3/notification-setup.js"),
      ]);
      const config = configFromLayers(await settingLayers(command));
      if (config.dev) throw new Error("notifications setup configures a real store: --dev's embedded S3 has none");
      const backend = await createS3Backend(config, createLogger("silent"));
      try {
        const steps = await setupNotifications(config, backend, {
          topic: flags.topic,
          pushEndpoint: url,
          persistent: flags.persistent === true,
        });
        for (const step of steps) process.stdout.write(`${step.bucket ? `bucket ${step.bucket}: ` : ""}${step.did}\n`);
      } finally {
        backend.close();
      }
    });
  return notifications.addCommand(setup);
}

/** An http(s) URL ending in /s3-notifications, with no user info or query: nothing secret in a URL. */
function pushEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--push-endpoint: "${value}" is not a URL like http://presignd.internal:8080${PATH}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("--push-endpoint: must be http or https");
  if (url.pathname !== PATH) throw new Error(`--push-endpoint: the path must be ${PATH}, not ${url.pathname}`);
  if (url.username || url.password || url.search)
    throw new Error(
      "--push-endpoint: must carry no user info and no query (the secret travels as the topic's OpaqueData)",
    );
  return url.toString();
}
