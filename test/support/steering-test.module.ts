import { Controller, Module, Post } from '@nestjs/common';
import { AdminOnly } from '../../src/security/security.decorators';

/** A steering route for tests of @AdminOnly (the real ones live with their features). */
@Controller('test-steer')
class SteeringTestController {
  @Post()
  @AdminOnly()
  steer(): { steered: true } {
    return { steered: true };
  }
}

@Module({ controllers: [SteeringTestController] })
export class SteeringTestModule {}
