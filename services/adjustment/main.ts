import { runMain } from '../lib/runtime';
import { adjustmentModule } from './index';

runMain(adjustmentModule);
