import { JOB_PAYLOAD } from '../../jobs/dto/submit-job.dto';
import { SendEmailPayloadDto } from '../../handlers/send-email/send-email-payload.dto';
import { DtoClass, DtoCompiler } from './dto-compiler';

/** For unit tests: a compiler resolving job payloads as the handler registry would. */
export function jobCompiler(
  types: Record<string, DtoClass> = { send_email: SendEmailPayloadDto },
): DtoCompiler {
  const compiler = new DtoCompiler();
  compiler.defineResolver(JOB_PAYLOAD, {
    choices: () => Object.keys(types),
    resolve: (type) => (Object.hasOwn(types, type) ? types[type] : undefined),
  });
  return compiler;
}
