import { Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

// The same rules as this service's submit route (SubmitJobDto and SendEmailPayloadDto),
// written as a NestJS user would: one nested DTO, checked by the global ValidationPipe.

export class SendEmailPayloadDto {
  @IsEmail({ allow_display_name: false, require_tld: true, allow_ip_domain: false })
  @MaxLength(254)
  @IsString()
  readonly to!: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(/^[^\r\n]*$/, { message: 'subject must not contain line breaks' })
  readonly subject?: string;

  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  readonly body?: string;
}

export class SubmitJobDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @IsIn(['send_email'])
  readonly job_type!: string;

  @IsIn(['high', 'low'])
  readonly priority!: 'high' | 'low';

  @IsObject()
  @ValidateNested()
  @Type(() => SendEmailPayloadDto)
  readonly payload!: SendEmailPayloadDto;
}
