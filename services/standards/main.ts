import { runMain } from '../lib/runtime';
import { standardsModule } from './index';

runMain(standardsModule);
