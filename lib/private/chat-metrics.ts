import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_DIMENSIONS, METRICS, METRICS_NAMESPACE, type MetricKey } from '../../contract/metrics';

/** The unit of each contract metric, as CloudWatch's enum. */
const UNITS: Record<string, cloudwatch.Unit> = {
  Count: cloudwatch.Unit.COUNT,
  Milliseconds: cloudwatch.Unit.MILLISECONDS,
  None: cloudwatch.Unit.NONE,
};

/**
 * One of the metrics the runtime publishes from its summary line (contract/metrics.ts), for the function named
 * `functionName`, with extra dimensions (`Model`, `Outcome`, `OutcomeClass`) when given.
 */
export function chatMetric(
  functionName: string,
  key: MetricKey,
  extraDimensions: Record<string, string>,
  props: cloudwatch.MetricOptions = {},
  defaultStatistic = 'Sum',
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRICS[key].name,
    unit: UNITS[METRICS[key].unit],
    period: Duration.minutes(5),
    statistic: defaultStatistic,
    ...props,
    dimensionsMap: { [METRIC_DIMENSIONS.functionName]: functionName, ...extraDimensions, ...props.dimensionsMap },
  });
}
